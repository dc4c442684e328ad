"""Plotly figures of a training run, built from `RunSnapshot` data.

Pure functions: no Streamlit calls, so any page (Train, Compare, Models) can draw the same
figure, and a test can inspect it. Every trace is downsampled to at most `MAX_POINTS`
float32 points: a browser redraws a live chart every second on the same 2 cores that train,
and the charts were about half of Chromium's work on a watched Train page; 500 points still
show more detail than a half-page chart has pixels. Each figure carries a `uirevision`, so
a zoom the user made survives the next refresh of the same run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ganlib.algorithms import ALGORITHM_INFO
from ganlib.compare import ComparisonSnapshot, loss_signal
from ganlib.runner import RunSnapshot

MAX_POINTS = 500
# One colour per role, the same on every chart: the discriminator/critic and the real
# images in blue, the generator and the fake images in orange, the Wasserstein estimate
# in green.
COLORS: dict[str, str] = {
    "d_loss": "#2563eb", "g_loss": "#ea580c", "wasserstein": "#16a34a", "gp": "#9333ea",
    "d_real": "#2563eb", "d_fake": "#ea580c",
    "d_grad_norm": "#2563eb", "g_grad_norm": "#ea580c",
}


def downsample(x: np.ndarray, *ys: np.ndarray,
               max_points: int = MAX_POINTS) -> tuple[np.ndarray, ...]:
    """Every k-th point of `x` and of each `ys` (k chosen so at most `max_points` remain),
    always keeping the newest point, as float32."""
    n = len(x)
    stride = max(1, -(-n // max_points))                         # ceil(n / max_points)
    index = np.arange(n - 1, -1, -stride)[::-1]                  # ends on the newest point
    return tuple(np.asarray(a, dtype=np.float32)[index] for a in (x, *ys))


def metric_figure(history: Mapping[str, np.ndarray], series: Sequence[tuple[str, str]], *,
                  title: str, y_title: str, uirevision: str,
                  y_range: tuple[float, float] | None = None,
                  reference: tuple[float, str] | None = None, height: int = 440,
                  log_y: bool = False) -> go.Figure:
    """Lines of `history[name]` against `history["step"]`, one per (name, legend label).

    Names missing from the history are skipped, so one call serves every algorithm.
    `reference` = (y, label) draws a dashed horizontal line, e.g. D = 0.5.
    """
    figure = go.Figure()
    steps = history.get("step", np.empty(0))
    for name, label in series:
        if name not in history:
            continue
        x, y = downsample(steps, history[name])
        figure.add_trace(go.Scatter(x=x, y=y, name=label, mode="lines",
                                    line=dict(width=2, color=COLORS.get(name))))
    if reference is not None:
        figure.add_hline(y=reference[0], line=dict(dash="dash", color="#6b7280", width=1),
                         annotation_text=reference[1], annotation_position="top right",
                         annotation_bgcolor="rgba(255, 255, 255, 0.8)")
    figure.update_layout(
        title=dict(text=title, font=dict(size=18)), height=height, uirevision=uirevision,
        margin=dict(l=10, r=10, t=50, b=10), hovermode="x unified",
        legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0.0),
        font=dict(size=14))
    figure.update_xaxes(title_text="generator step", rangemode="tozero")
    figure.update_yaxes(title_text=y_title, range=list(y_range) if y_range else None,
                        type="log" if log_y else None)
    return figure


def loss_figure(snapshot: RunSnapshot) -> go.Figure:
    """Discriminator/critic and generator losses; for WGANs also the Wasserstein estimate,
    the one loss curve of the articles that should fall steadily as the samples improve."""
    if ALGORITHM_INFO[snapshot.config.algorithm].outputs_probability:
        series = [("d_loss", "discriminator loss (BCE)"), ("g_loss", "generator loss (BCE)")]
        return metric_figure(snapshot.history, series, title="Losses", y_title="loss",
                             uirevision=snapshot.run_id)
    series = [("d_loss", "critic loss"), ("g_loss", "generator loss"),
              ("wasserstein", "Wasserstein estimate")]
    return metric_figure(snapshot.history, series, title="Losses and Wasserstein estimate",
                         y_title="loss", uirevision=snapshot.run_id)


def d_scores_figure(snapshot: RunSnapshot) -> go.Figure:
    """What the discriminator says about real and generated images: probabilities D(x) and
    D(G(z)) for the GAN (0.5 = it cannot tell them apart), raw critic scores for WGANs."""
    if ALGORITHM_INFO[snapshot.config.algorithm].outputs_probability:
        series = [("d_real", "D(x): real images"), ("d_fake", "D(G(z)): generated images")]
        return metric_figure(snapshot.history, series, title="Discriminator outputs",
                             y_title="probability 'real'", uirevision=snapshot.run_id,
                             y_range=(0.0, 1.0), reference=(0.5, "cannot tell"))
    series = [("d_real", "c(x): real images"), ("d_fake", "c(G(z)): generated images")]
    return metric_figure(snapshot.history, series, title="Critic scores",
                         y_title="critic score", uirevision=snapshot.run_id)


def grad_norm_figure(snapshot: RunSnapshot) -> go.Figure:
    """Gradient norms of both networks on a log scale: the GAN article's "vanishing
    gradient" is the generator's line sinking by orders of magnitude while D wins."""
    series = [("d_grad_norm", "discriminator/critic ‖∇‖"), ("g_grad_norm", "generator ‖∇‖")]
    return metric_figure(snapshot.history, series, title="Gradient norms (log scale)",
                         y_title="gradient norm", uirevision=snapshot.run_id, log_y=True)


def quality_figure(snapshot: RunSnapshot) -> go.Figure:
    """Fréchet distance of the samples over time, beside what real images score."""
    evaluations = snapshot.evaluations
    baseline = evaluations.get("fd_baseline")
    reference = (float(baseline[-1]), "real vs real") if baseline is not None and len(baseline) else None
    return metric_figure(evaluations, [("fd", "Fréchet distance of the samples")],
                         title="Sample quality (lower is better)", y_title="Fréchet distance",
                         uirevision=snapshot.run_id, reference=reference, log_y=True)


def class_mix_figure(snapshot: RunSnapshot) -> go.Figure:
    """The mode-collapse meter: which class the classifier takes each sample for, newest
    evaluation. Ten even bars: every digit is drawn. A few tall bars: mode collapse."""
    evaluations = snapshot.evaluations
    names = [f"class_{i}" for i in range(10)]
    shares = np.array([float(evaluations[n][-1]) for n in names if n in evaluations])
    covered = int(evaluations["classes_covered"][-1])
    present = int(evaluations["classes_present"][-1]) if "classes_present" in evaluations else 10
    figure = go.Figure(go.Bar(x=[str(i) for i in range(len(shares))], y=shares,
                              marker_color=COLORS["g_loss"]))
    figure.add_hline(y=1 / max(1, present), line=dict(dash="dash", color="#6b7280", width=1),
                     annotation_text="even share", annotation_position="top left")
    figure.update_layout(
        title=dict(text=f"Mode-collapse meter: {covered} of {present} classes drawn",
                   font=dict(size=18)),
        height=360, uirevision=snapshot.run_id, margin=dict(l=10, r=10, t=50, b=10),
        font=dict(size=14), showlegend=False)
    figure.update_xaxes(title_text="class the classifier sees")
    figure.update_yaxes(title_text="share of samples", range=[0, 1], tickformat=".0%")
    return figure


# One colour per algorithm on the Compare page.
ALGORITHM_COLORS: dict[str, str] = {"gan": "#dc2626", "wgan": "#2563eb", "wgan-gp": "#16a34a"}


def comparison_figure(snapshot: ComparisonSnapshot, name: str, *, title: str, y_title: str,
                      source: str = "history", reference: tuple[float, str] | None = None,
                      y_range: tuple[float, float] | None = None,
                      log_y: bool = False) -> go.Figure:
    """One line per model against training seconds, so runs of different speeds share the
    x axis. `name` is a column of each run's history or evaluations, or "loss_signal" for
    the loss each article plots (GAN: D loss; WGANs: the Wasserstein estimate)."""
    figure = go.Figure()
    for run in snapshot.runs:
        if name == "loss_signal":
            label, _, values = loss_signal(run)
            columns = {"time": run.history.get("time", np.empty(0)), "value": values}
        else:
            table = getattr(run, source)
            label = name
            columns = {"time": table.get("time", np.empty(0)), "value": table.get(name)}
        if columns["value"] is None or not len(columns["value"]):
            continue
        x, y = downsample(columns["time"], columns["value"])
        figure.add_trace(go.Scatter(
            x=x, y=y, mode="lines+markers" if source == "evaluations" else "lines",
            name=f"{run.config.algorithm.upper()} ({label})" if name == "loss_signal"
            else run.config.algorithm.upper(),
            line=dict(width=2, color=ALGORITHM_COLORS[run.config.algorithm])))
    if reference is not None:
        figure.add_hline(y=reference[0], line=dict(dash="dash", color="#6b7280", width=1),
                         annotation_text=reference[1], annotation_position="top left")
    figure.update_layout(
        title=dict(text=title, font=dict(size=18)), height=380, uirevision=snapshot.run_id,
        margin=dict(l=10, r=10, t=50, b=10), font=dict(size=14),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0))
    figure.update_xaxes(title_text="training time (s)", rangemode="tozero")
    figure.update_yaxes(title_text=y_title, range=list(y_range) if y_range else None,
                        type="log" if log_y else None)
    return figure
