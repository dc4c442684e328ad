"""Compare: GAN, WGAN and WGAN-GP on the same data for the same time, side by side.

The articles claim that the classic GAN suffers mode collapse and vanishing gradients, and
that the WGAN's loss tracks the quality of its samples. This page trains the three and shows
the evidence on shared axes. The comparison trains in background threads (ganlib.compare);
the page only reads snapshots.
"""

import streamlit as st

from ganlib.classroom import Action, may
from ganlib.compare import LINEUPS, Comparison, lineup, loss_quality_correlation
from ganlib.algorithms import ALGORITHM_LABELS
from ganlib.data import data_sources
from ganlib.errors import GanlibError
from ganlib.images import image_grid
from ui import charts, roles, state
from ui.pages import require_entry_point

require_entry_point()

COMPARISON = "compare_id"
LINEUP_LABELS = {
    "quick": "Quick presets: the three algorithms at their best on a laptop",
    "mode-collapse": "Mode collapse: a GAN set up to collapse, against WGAN and WGAN-GP "
                     "with the same tiny latent space",
}
MODE_LABELS = {"sequential": "One after another (each gets the whole CPU)",
               "concurrent": "At the same time (they share the CPU)"}

st.title("Compare GAN vs WGAN")
st.markdown(
    "Train the classic GAN and the two Wasserstein GANs **on the same digits for the same "
    "training time**, then compare what the articles talk about: the losses, the generator's "
    "gradient, the quality of the samples, and how many digit classes each one still draws "
    "(mode collapse). Every model is judged by the same classifier (see the Theory page).")


def setup() -> None:
    """The line-up, data, budget and mode, and the Start button."""
    if refusal := state.start_refusal():
        st.info(refusal, icon=":material/lock:")
        return
    with st.container(border=True):
        left, right = st.columns(2)
        name = left.radio("Line-up", list(LINEUPS), format_func=LINEUP_LABELS.get,
                          key="compare-lineup")
        mode = right.radio("Training", list(MODE_LABELS), format_func=MODE_LABELS.get,
                           key="compare-mode")
        sources = {s.source: s.label for s in data_sources()}
        source = left.selectbox("Data", list(sources), format_func=sources.get,
                                key="compare-data")
        digits = right.multiselect("Digit classes (empty: all)", list(range(10)),
                                   key="compare-digits")
        budget = st.slider("Training time per model (seconds)", 10, 300, 60, step=10,
                           key="compare-budget")
        if st.button("Start comparison", type="primary", icon=":material/play_arrow:"):
            try:
                configs = lineup(name, dataset=source, digits=tuple(digits))
                comparison, _ = state.registry().start(
                    lambda: Comparison(configs, budget_s=budget, mode=mode,
                                       pause_when_unwatched_s=state.UNWATCHED_PAUSE_S),
                    owner=roles.current_owner())
            except GanlibError as exc:
                st.error(str(exc))
            else:
                st.session_state[COMPARISON] = comparison.run_id
                st.rerun()


def final_table(snapshot) -> list[dict]:
    """One row of final numbers per model."""
    rows = []
    for run in snapshot.runs:
        evals = {k: float(v[-1]) for k, v in run.evaluations.items() if len(v)}
        correlation = loss_quality_correlation(run)
        rows.append({
            "model": ALGORITHM_LABELS[run.config.algorithm] + f" · {run.config.preset}",
            "status": run.status,
            "steps": run.step,
            "steps/s": round(run.steps_per_s, 1),
            "Fréchet distance": round(evals["fd"], 1) if "fd" in evals else None,
            "real-vs-real FD": round(evals["fd_baseline"], 1) if "fd_baseline" in evals else None,
            "classes covered": int(evals["classes_covered"]) if "classes_covered" in evals else None,
            "class KL": round(evals["class_kl"], 2) if "class_kl" in evals else None,
            "confident": f"{evals['confident']:.0%}" if "confident" in evals else None,
            "loss ↔ FD correlation": None if correlation is None else round(correlation, 2),
        })
    return rows


def live(comparison: Comparison, was_active: bool) -> None:
    """Redrawn every second while the comparison trains (see the bottom of the page)."""
    snapshot = comparison.snapshot()
    if was_active and not snapshot.active:
        st.rerun()                  # leave live mode: the whole page redraws once
    status_row = st.columns(len(snapshot.runs))
    for column, run in zip(status_row, snapshot.runs):
        done = run.elapsed_s / snapshot.budget_s if run.status != "created" else 0.0
        column.markdown(f"**{ALGORITHM_LABELS[run.config.algorithm]}** · {run.status}")
        column.progress(min(1.0, done), text=f"{run.elapsed_s:.0f} / {snapshot.budget_s:.0f} s, "
                                             f"step {run.step:,}")
        if run.message and run.status in ("diverged", "failed"):
            column.error(run.message)

    grids = st.columns(len(snapshot.runs))
    for column, run in zip(grids, snapshot.runs):
        if run.samples is not None:
            column.image(image_grid(run.samples, cols=6, scale=3), output_format="PNG",
                         caption=f"{run.config.algorithm.upper()} at step {run.samples_step:,}",
                         width="stretch")

    quality, dynamics = st.tabs(["Sample quality", "Losses and gradients"])
    with quality:
        left, right = st.columns(2)
        baseline = next((float(r.evaluations["fd_baseline"][0]) for r in snapshot.runs
                         if "fd_baseline" in r.evaluations and len(r.evaluations["fd_baseline"])),
                        None)
        left.plotly_chart(charts.comparison_figure(
            snapshot, "fd", source="evaluations", title="Fréchet distance (lower is better)",
            y_title="FD", reference=None if baseline is None else (baseline, "real vs real"),
            log_y=True), key="compare-fd", width="stretch")
        right.plotly_chart(charts.comparison_figure(
            snapshot, "classes_covered", source="evaluations",
            title="Digit classes the generator draws (mode collapse: few)",
            y_title="classes covered", y_range=(0, 10.5)), key="compare-classes",
            width="stretch")
    with dynamics:
        left, right = st.columns(2)
        left.plotly_chart(charts.comparison_figure(
            snapshot, "loss_signal", title="The loss each article plots: GAN D loss, "
            "WGAN Wasserstein estimate", y_title="loss"), key="compare-loss", width="stretch")
        right.plotly_chart(charts.comparison_figure(
            snapshot, "g_grad_norm", title="Generator gradient norm (vanishing: near 0)",
            y_title="‖∇G‖", log_y=True), key="compare-grad", width="stretch")

    st.subheader("Final numbers")
    st.dataframe(final_table(snapshot), hide_index=True, width="stretch")
    st.caption(
        "Loss ↔ FD correlation: Spearman's rank correlation, over the run's evaluations, between "
        "the loss signal and the Fréchet distance. Near +1 means the loss falls as the digits "
        "get better, the WGAN article's claim; near 0 or negative means the loss says nothing "
        "about quality. The real-vs-real FD is what a perfect generator would score.")


comparison = state.registry().get(st.session_state.get(COMPARISON))
if comparison is None:
    setup()
else:
    active = comparison.snapshot().active
    owner = state.registry().owner(comparison.run_id)
    may_stop = may(roles.current_owner(), Action.CONTROL, owner.id if owner else None)
    if active and may_stop and st.button("Stop comparison", icon=":material/stop:"):
        comparison.stop()
        st.rerun()
    if not active and st.button("New comparison", icon=":material/restart_alt:", type="primary"):
        st.session_state.pop(COMPARISON)
        st.rerun()
    st.fragment(live, run_every=1.0 if active else None)(comparison, active)
