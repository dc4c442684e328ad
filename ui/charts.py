"""Plotly figures of a training run, built from `RunSnapshot` data.

Pure functions: no Streamlit calls, so any page (Train, Compare, Models) can draw the same
figure, and a test can inspect it. Every trace is downsampled to at most `MAX_POINTS`
float32 points: a browser redraws a live chart every second on the same 2 cores that train,
and the charts were about half of Chromium's work on a watched Train page; 500 points still
show more detail than a half-page chart has pixels. Each figure carries a `uirevision`, so
a zoom the user made survives the next refresh of the same run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ganlib import palette
from ganlib.algorithms import ALGORITHM_INFO
from ganlib.training.compare import ComparisonSnapshot, loss_signal
from ganlib.training.core import RunSnapshot
from ui.i18n import _, number_separators

MAX_POINTS = 500
# One colour per role, the same on every chart (ganlib.palette): the discriminator/critic and
# the real images in blue, the generator and the fake images in orange, the Wasserstein
# estimate in green.
COLORS: dict[str, str] = {
    "d_loss": palette.DISCRIMINATOR, "g_loss": palette.GENERATOR, "wasserstein": palette.GREEN,
    "gp": palette.PURPLE, "d_real": palette.DISCRIMINATOR, "d_fake": palette.GENERATOR,
    "d_grad_norm": palette.DISCRIMINATOR, "g_grad_norm": palette.GENERATOR,
}


# Presenter view (a projector seen from the back of a room): the text of every chart, in px.
PROJECTOR_FONTS: dict[str, int] = {"text": 20, "ticks": 18, "title": 24, "legend": 18}


def for_projector(figure: go.Figure, height: int) -> go.Figure:
    """A copy of `figure`, `height` pixels tall, in text large enough for a projector.

    A copy: the figure may be shared with other viewers of the same run."""
    fonts = PROJECTOR_FONTS
    big = go.Figure(figure)
    big.update_layout(height=height, font_size=fonts["text"], title_font_size=fonts["title"],
                      legend_font_size=fonts["legend"])
    if (big.layout.legend.y or 0) >= 1:     # a legend above the plot: a line under the title
        big.update_layout(margin_t=fonts["title"] + 2 * fonts["legend"] + 15, title_y=0.98,
                          title_yanchor="top")
    big.update_xaxes(tickfont_size=fonts["ticks"], title_font_size=fonts["text"])
    big.update_yaxes(tickfont_size=fonts["ticks"], title_font_size=fonts["text"])
    return big


def downsample(x: np.ndarray, *ys: np.ndarray,
               max_points: int = MAX_POINTS) -> tuple[np.ndarray, ...]:
    """Every k-th point of `x` and of each `ys` (k chosen so at most `max_points` remain),
    always keeping the newest point, as float32."""
    n = len(x)
    stride = max(1, -(-n // max_points))                         # ceil(n / max_points)
    index = np.arange(n - 1, -1, -stride)[::-1]                  # ends on the newest point
    return tuple(np.asarray(a, dtype=np.float32)[index] for a in (x, *ys))


def reference_line(figure: go.Figure, reference: tuple[float, str], position: str,
                   log_y: bool, **annotation) -> None:
    """A dashed horizontal line at y = reference[0], labelled reference[1].

    On a log axis Plotly places the line at y but an annotation at log10(y): without the
    conversion the "real vs real" label of an FD of 6.9 sat at 10^6.9 and stretched the axis.
    """
    y, label = reference
    figure.add_hline(y=y, line=dict(dash="dash", color=palette.REFERENCE, width=1),
                     annotation_text=label, annotation_position=position,
                     annotation_y=math.log10(y) if log_y else y, **annotation)


def metric_figure(history: Mapping[str, np.ndarray], series: Sequence[tuple[str, str]], *,
                  title: str, y_title: str, uirevision: str,
                  y_range: tuple[float, float] | None = None,
                  reference: tuple[float, str] | None = None, height: int = 440,
                  log_y: bool = False, right_axis: tuple[str, str] | None = None) -> go.Figure:
    """Lines of `history[name]` against `history["step"]`, one per (name, legend label).

    Names missing from the history are skipped, so one call serves every algorithm.
    `reference` = (y, label) draws a dashed horizontal line, e.g. D = 0.5. `right_axis` =
    (name, axis title) puts that series on a y axis of its own, on the right, in its colour:
    a curve on another scale than the others would look flat on theirs.
    """
    figure = go.Figure()
    steps = history.get("step", np.empty(0))
    for name, label in series:
        if name not in history:
            continue
        x, y = downsample(steps, history[name])
        on_right = right_axis is not None and name == right_axis[0]
        figure.add_trace(go.Scatter(x=x, y=y, name=label, mode="lines",
                                    yaxis="y2" if on_right else "y",
                                    line=dict(width=2, color=COLORS.get(name))))
    if reference is not None:
        reference_line(figure, reference, "top right", log_y,
                       annotation_bgcolor="rgba(255, 255, 255, 0.8)")
    figure.update_layout(
        title=dict(text=title, font=dict(size=20)), height=height, uirevision=uirevision,
        margin=dict(l=10, r=10, t=50, b=10), hovermode="x unified",
        legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0.0),
        font=dict(size=16), separators=number_separators())
    figure.update_xaxes(title_text=_("generator step"), rangemode="tozero", tickfont_size=16)
    figure.update_yaxes(title_text=y_title, range=list(y_range) if y_range else None,
                        type="log" if log_y else None, tickfont_size=16)
    if right_axis is not None and right_axis[0] in history:
        color = COLORS.get(right_axis[0])
        figure.update_layout(yaxis2=dict(
            title=dict(text=right_axis[1], font=dict(color=color)), overlaying="y",
            side="right", showgrid=False, zeroline=False, tickmode="auto",
            range=settled_range(history[right_axis[0]]),
            tickfont=dict(size=16, color=color)))
    return figure


def settled_range(values: np.ndarray) -> list[float] | None:
    """A y range for `values` past their first steps, or None (Plotly's own) while there
    are few. A critic's first steps swing its estimate tenfold (from 40 to 3 in the Quick
    WGAN's first 50), and a range that holds them flattens the slow fall that follows, the
    part a class watches; Plotly's autoscale button still shows everything."""
    values = np.asarray(values, dtype=float)
    later = values[max(len(values) // 20, min(50, len(values) // 2)):]
    later = later[np.isfinite(later)]
    if len(later) < 10:
        return None
    low, high = float(later.min()), float(later.max())
    pad = 0.05 * (high - low) or 0.5
    return [low - pad, high + pad]


def loss_figure(snapshot: RunSnapshot) -> go.Figure:
    """Discriminator/critic and generator losses; for WGANs also the Wasserstein estimate,
    the one loss curve of the articles that should fall steadily as the samples improve."""
    if ALGORITHM_INFO[snapshot.config.algorithm].outputs_probability:
        series = [("d_loss", _("discriminator loss (BCE)")),
                  ("g_loss", _("generator loss (BCE)"))]
        return metric_figure(snapshot.history, series, title=_("Losses"), y_title=_("loss"),
                             uirevision=snapshot.run_id)
    estimate = _("Wasserstein estimate")
    series = [("d_loss", _("critic loss")), ("g_loss", _("generator loss")),
              ("wasserstein", estimate)]
    return metric_figure(snapshot.history, series, title=_("Losses and Wasserstein estimate"),
                         y_title=_("loss"), uirevision=snapshot.run_id,
                         right_axis=("wasserstein", estimate))


def d_scores_figure(snapshot: RunSnapshot) -> go.Figure:
    """What the discriminator says about real and generated images: probabilities D(x) and
    D(G(z)) for the GAN (0.5 = it cannot tell them apart), raw critic scores for WGANs."""
    if ALGORITHM_INFO[snapshot.config.algorithm].outputs_probability:
        series = [("d_real", _("D(x): real images")),
                  ("d_fake", _("D(G(z)): generated images"))]
        return metric_figure(snapshot.history, series, title=_("Discriminator outputs"),
                             y_title=_("probability 'real'"), uirevision=snapshot.run_id,
                             y_range=(0.0, 1.0), reference=(0.5, _("cannot tell")))
    series = [("d_real", _("c(x): real images")), ("d_fake", _("c(G(z)): generated images"))]
    return metric_figure(snapshot.history, series, title=_("Critic scores"),
                         y_title=_("critic score"), uirevision=snapshot.run_id)


def grad_norm_figure(snapshot: RunSnapshot) -> go.Figure:
    """Gradient norms of both networks on a log scale: the GAN article's "vanishing
    gradient" is the generator's line sinking by orders of magnitude while D wins."""
    series = [("d_grad_norm", _("discriminator/critic ‖∇‖")),
              ("g_grad_norm", _("generator ‖∇‖"))]
    return metric_figure(snapshot.history, series, title=_("Gradient norms (log scale)"),
                         y_title=_("gradient norm"), uirevision=snapshot.run_id, log_y=True)


def quality_figure(snapshot: RunSnapshot) -> go.Figure:
    """Fréchet distance of the samples over time, beside what real images score."""
    evaluations = snapshot.evaluations
    baseline = evaluations.get("fd_baseline")
    reference = ((float(baseline[-1]), _("real vs real")) if baseline is not None
                 and len(baseline) else None)
    return metric_figure(evaluations, [("fd", _("Fréchet distance of the samples"))],
                         title=_("Sample quality (lower is better)"),
                         y_title=_("Fréchet distance"),
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
    figure.add_hline(y=1 / max(1, present),
                     line=dict(dash="dash", color=palette.REFERENCE, width=1),
                     annotation_text=_("even share"), annotation_position="top left")
    figure.update_layout(
        title=dict(text=_("Mode-collapse meter: {covered} of {present} classes drawn").format(
            covered=covered, present=present), font=dict(size=20)),
        height=360, uirevision=snapshot.run_id, margin=dict(l=10, r=10, t=50, b=10),
        font=dict(size=16), showlegend=False, separators=number_separators())
    figure.update_xaxes(title_text=_("class the classifier sees"), tickfont_size=16)
    figure.update_yaxes(title_text=_("share of samples"), range=[0, 1], tickformat=".0%",
                        tickfont_size=16)
    return figure


def comparison_figure(snapshot: ComparisonSnapshot, name: str, *, title: str, y_title: str,
                      source: str = "history", reference: tuple[float, str] | None = None,
                      y_range: tuple[float, float] | None = None,
                      log_y: bool = False) -> go.Figure:
    """One line per model against training seconds, so runs of different speeds share the
    x axis. `name` is a column of each run's history or evaluations, or "loss_signal" for
    the loss each article plots (GAN: D loss; WGANs: the Wasserstein estimate)."""
    figure = go.Figure()
    signal_labels = {"d_loss": _("discriminator loss (BCE)"),
                     "wasserstein": _("Wasserstein estimate")}
    for run in snapshot.runs:
        hover = None                    # Plotly's own, but for the loss: which loss it is
        if name == "loss_signal":
            signal, _steps, values = loss_signal(run)
            hover = signal_labels[signal] + ": %{y}<extra>%{fullData.name}</extra>"
            columns = {"time": run.history.get("time", np.empty(0)), "value": values}
        else:
            table = getattr(run, source)
            columns = {"time": table.get("time", np.empty(0)), "value": table.get(name)}
        if columns["value"] is None or not len(columns["value"]):
            continue
        x, y = downsample(columns["time"], columns["value"])
        figure.add_trace(go.Scatter(
            x=x, y=y, mode="lines+markers" if source == "evaluations" else "lines",
            name=run.config.algorithm.upper(), hovertemplate=hover,
            line=dict(width=2, color=ALGORITHM_INFO[run.config.algorithm].color)))
    if reference is not None:
        reference_line(figure, reference, "top left", log_y)
    # The title on top, the legend (three short names: one row) on a line of its own under
    # it: beside the title, or with longer names, it ran into the title in half of a
    # 1280-pixel page; under the plot it ran into the axis title of a projector's short chart.
    figure.update_layout(
        title=dict(text=title, font=dict(size=20), y=0.98, yanchor="top"), height=380,
        uirevision=snapshot.run_id, margin=dict(l=10, r=10, t=85, b=10), font=dict(size=16),
        separators=number_separators(),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0.0))
    figure.update_xaxes(title_text=_("training time (s)"), rangemode="tozero", tickfont_size=16)
    figure.update_yaxes(title_text=y_title, range=list(y_range) if y_range else None,
                        type="log" if log_y else None, tickfont_size=16)
    return figure
