"""Plotly figures of a training run, built from `RunSnapshot` data.

Pure functions: no Streamlit calls, so any page (Train, Compare, Models) can draw the same
figure, and a test can inspect it. Every trace is downsampled to at most `MAX_POINTS`
float32 points: a browser redraws a live chart every second, and 2,000 points already
show more detail than a chart has pixels. Each figure carries a `uirevision`, so a zoom the
user made survives the next refresh of the same run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ganlib.runner import RunSnapshot

MAX_POINTS = 2000
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
                  reference: tuple[float, str] | None = None, height: int = 440) -> go.Figure:
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
    figure.update_yaxes(title_text=y_title, range=list(y_range) if y_range else None)
    return figure


def loss_figure(snapshot: RunSnapshot) -> go.Figure:
    """Discriminator/critic and generator losses; for WGANs also the Wasserstein estimate,
    the one loss curve of the articles that should fall steadily as the samples improve."""
    if snapshot.config.algorithm == "gan":
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
    if snapshot.config.algorithm == "gan":
        series = [("d_real", "D(x): real images"), ("d_fake", "D(G(z)): generated images")]
        return metric_figure(snapshot.history, series, title="Discriminator outputs",
                             y_title="probability 'real'", uirevision=snapshot.run_id,
                             y_range=(0.0, 1.0), reference=(0.5, "cannot tell"))
    series = [("d_real", "c(x): real images"), ("d_fake", "c(G(z)): generated images")]
    return metric_figure(snapshot.history, series, title="Critic scores",
                         y_title="critic score", uirevision=snapshot.run_id)
