"""Compare: GAN, WGAN and WGAN-GP on the same data for the same time, side by side.

The articles claim that the classic GAN suffers mode collapse and vanishing gradients, and
that the WGAN's loss tracks the quality of its samples. This page trains the three and shows
the evidence on shared axes. The comparison trains in background threads (ganlib.training.compare);
the page only reads snapshots.
"""

import plotly.graph_objects as go
import streamlit as st

from ganlib.training.compare import (BUILD_S, CORRELATION_WARMUP_STEPS, DEFAULT_BUDGET_S,
                                     EVALUATE_EVERY_S, LINEUPS, MAX_BUDGET_S, MIN_BUDGET_S,
                                     MIN_CORRELATION_EVALUATIONS, MIN_CORRELATION_STEPS,
                                     Comparison, ComparisonSnapshot, LossQuality,
                                     duration_estimate_s, lineup, loss_quality_correlation,
                                     measured_slowdown)
from ganlib.algorithms import ALGORITHM_INFO, ALGORITHM_LABELS
from ganlib.data import data_sources
from ganlib.errors import GanlibError
from ganlib.training.core import Run, RunStatus
from ui import (charts, following, links, live_view, make_room, presenter, roles,
                server_settings, state)
from ui.i18n import _, format_number, format_percent, ngettext
from ui.pages import PAGES, require_entry_point
from ui.roles import Action, may
from ui.widgets import format_duration

require_entry_point()

COMPARISON = state.COMPARISON
LINEUP_LABELS = {
    "quick": _("Quick presets: the three algorithms at their best on a laptop"),
    "mode-collapse": _("Mode collapse: a GAN set up to collapse, against WGAN and WGAN-GP "
                       "with the same tiny latent space"),
}
# The final table's long column names, shown short (with the long name as help) so that its
# ten columns fit a 1280-pixel screen beside the menu.
TABLE_HEADERS = {
    name: st.column_config.Column(short, help=name)
    for name, short in ((_("Fréchet distance"), "FD"), (_("real-vs-real FD"), _("real FD")),
                        (_("classes covered"), _("classes")),
                        (_("loss ↔ FD correlation"), _("loss ↔ FD")))
}
MODE_LABELS = {"sequential": _("One after another (each gets the whole CPU)"),
               "concurrent": _("At the same time (they share the CPU)")}

following.keep_up(PAGES.compare, redraw=False)     # a follower: what the teacher presents
comparison = state.registry().get(st.session_state.get(COMPARISON))
presenting = presenter.active() and comparison is not None
# In presenter view the title shares its line with the comparison's button.
head, side = (st.columns([4, 1], vertical_alignment="center") if presenting
              else (st.container(), None))
head.title(_("Compare GAN vs WGAN"))
if comparison is None:           # what a comparison is for, before one is chosen
    st.markdown(_(
        "Train the classic GAN and the two Wasserstein GANs **on the same digits for the "
        "same training time**, then compare what the articles talk about: the losses, the "
        "generator's gradient, the quality of the samples, and how many digit classes each "
        "one still draws (mode collapse). Every model is judged by the same classifier (see "
        "the Theory page)."))


def duration_text(n_models: int, budget_s: float, mode: str) -> str:
    """How long the comparison will take, and what the estimate counts."""
    every = EVALUATE_EVERY_S * server_settings.current().compare_time_scale
    text = _("The whole comparison takes about {duration}: {n} models × {budget} s of "
             "training, plus building each model (about {build} s on an idle 2-core machine) "
             "and judging its samples every {every} s. At the same time, the models take turns "
             "step by step, so each trains about as much as one after another.").format(
        duration=format_duration(duration_estimate_s(n_models, budget_s, mode, every)),
        n=n_models, budget=format_number(budget_s, 0), build=format_number(BUILD_S, 0),
        every=format_number(every))
    slowdown = measured_slowdown()
    if slowdown is None or slowdown < 1.1:
        return text + " " + _("A busy machine takes longer; once it runs, the page says how "
                              "long is left.")
    return text + " " + _("Counted in: the last comparison on this server took {factor} × "
                          "as long as on an idle machine.").format(
        factor=format_number(slowdown, 1))


def setup() -> None:
    """The line-up, data, budget and mode, and the Start button."""
    if refusal := state.start_refusal():
        st.info(refusal, icon=":material/lock:")
        return
    if wanted := links.chosen("lineup", LINEUPS):       # a "try it" link (Theory page)
        st.session_state["compare-lineup"] = wanted
    with st.container(border=True):
        left, right = st.columns(2)
        name = left.radio(_("Line-up"), list(LINEUPS), format_func=LINEUP_LABELS.get,
                          key="compare-lineup")
        mode = right.radio(_("Training"), list(MODE_LABELS), format_func=MODE_LABELS.get,
                           key="compare-mode")
        sources = {s.source: _(s.label) for s in data_sources()}
        source = left.selectbox(_("Data"), list(sources), format_func=sources.get,
                                key="compare-data")
        digits = right.multiselect(_("Digit classes (empty: all)"), list(range(10)),
                                   placeholder=_("All classes"),
                                   key="compare-digits")
        budget = st.slider(_("Training time per model (seconds)"), MIN_BUDGET_S, MAX_BUDGET_S,
                           DEFAULT_BUDGET_S, step=10, key="compare-budget")
        # Every comparison's clock times the server's scale: 1 but in tests and rehearsals.
        chosen = server_settings.current()
        scale = chosen.compare_time_scale
        trained = budget * scale
        st.caption(duration_text(len(LINEUPS[name]), trained, mode))
        if trained != budget:
            st.warning(_("This server shortens every comparison to {share} of the time chosen, "
                         "for tests and rehearsals: each model trains {trained} s, not "
                         "{budget} s.").format(
                share=format_percent(scale), trained=format_number(trained, 0),
                budget=budget), icon=":material/timer:")
        pressed = st.button(_("Start comparison"), key="compare-start", type="primary",
                            icon=":material/play_arrow:")
        try:
            started = make_room.start_or_offer(
                "compare-start", pressed, lambda replace: state.start_comparison(
                    lineup(name, dataset=source, digits=tuple(digits)), replace=replace,
                    budget_s=budget, mode=mode))
        except GanlibError as exc:
            st.error(str(exc))
        else:
            if started is not None:
                st.rerun()


def final_table(snapshot: ComparisonSnapshot) -> list[dict]:
    """One row of final numbers per model, written as the page's language writes numbers."""
    rows = []
    for run in snapshot.runs:
        evals = {k: float(v[-1]) for k, v in run.evaluations.items() if len(v)}

        def number(key: str, decimals: int) -> str:
            return format_number(evals[key], decimals) if key in evals else "—"

        correlation = loss_quality_correlation(run)
        rows.append({
            _("model"): ALGORITHM_INFO[run.config.algorithm].short_label
            + f" · {run.config.preset}",
            _("status"): _(run.status),
            _("steps"): format_number(run.step),
            _("steps/s"): format_number(run.steps_per_s, 1),
            _("Fréchet distance"): number("fd", 1),
            _("real-vs-real FD"): number("fd_baseline", 1),
            _("classes covered"): number("classes_covered", 0),
            _("class KL"): number("class_kl", 2),
            _("confident"): (format_percent(evals["confident"]) if "confident" in evals
                             else "—"),
            _("loss ↔ FD correlation"): (
                format_number(correlation.rho, 2) if correlation.conclusive
                else _("not yet") if run.active else _("inconclusive")),
        })
    return rows


def correlation_notes(snapshot: ComparisonSnapshot) -> None:
    """What the loss ↔ FD column measured, and, for each model without a number, why not:
    a short run must not read as "the loss says nothing about quality"."""
    st.caption(_(
        "Loss ↔ FD correlation: Spearman's rank correlation, over the run's evaluations, between "
        "the loss each article reads (the discriminator's loss for the GAN, the critic's "
        "Wasserstein estimate for the WGANs) and the Fréchet distance. Near +1 means that "
        "loss falls as the digits get better, the WGAN article's claim; near 0 or negative, "
        "over a long enough run, means it says nothing about quality, the article's claim "
        "about the GAN. It leaves out the first {warmup} steps, while the critic is still "
        "catching up (its estimate rises then), and needs at least {evaluations} evaluations "
        "after them, in a run of at least {steps} steps: a few points prove nothing. The "
        "real-vs-real FD is what a perfect generator would score.").format(
        warmup=format_number(CORRELATION_WARMUP_STEPS),
        steps=format_number(MIN_CORRELATION_STEPS),
        evaluations=format_number(MIN_CORRELATION_EVALUATIONS)))
    qualities = [(ALGORITHM_INFO[run.config.algorithm].short_label,
                  loss_quality_correlation(run)) for run in snapshot.runs]
    if short := [(model, quality) for model, quality in qualities if quality.too_short]:
        st.info(too_short_text(short, snapshot.active), icon=":material/help:")
    for model, quality in qualities:
        if not (quality.conclusive or quality.too_short):
            st.info(_("**{model}**: inconclusive: its loss or its Fréchet distance did not "
                      "change over the run.").format(model=model), icon=":material/help:")


def too_short_text(short: list[tuple[str, LossQuality]], running: bool) -> str:
    """Why these models have no loss ↔ FD correlation (yet): one note for all of them, each
    with the steps and evaluations it had."""
    need = dict(warmup=format_number(CORRELATION_WARMUP_STEPS),
                min_steps=format_number(MIN_CORRELATION_STEPS),
                min_evaluations=format_number(MIN_CORRELATION_EVALUATIONS))
    head = (_("**No correlation yet**: it needs a run of at least {min_steps} steps and "
              "{min_evaluations} evaluations after step {warmup}.") if running else
            _("**Inconclusive: the runs were too short to tell.** A correlation needs a run "
              "of at least {min_steps} steps and {min_evaluations} evaluations after step "
              "{warmup}; a shorter run says nothing about the loss, either way. Give each "
              "model more time, or run the comparison while fewer people train on this "
              "server.")).format(**need)
    each = _("**{model}**: {steps}, {evaluations}")
    lines = [each.format(
        model=model,
        steps=ngettext("{count} step", "{count} steps", quality.steps).format(
            count=format_number(quality.steps)),
        evaluations=ngettext("{count} evaluation after step {warmup}",
                             "{count} evaluations after step {warmup}",
                             quality.evaluations).format(
            count=format_number(quality.evaluations), warmup=need["warmup"]))
        for model, quality in short]
    return head + "\n" + "".join(f"\n- {line}" for line in lines)


def plot(column, figure: go.Figure, key: str) -> None:
    """A chart in `column`, full width; in presenter view at the projector's size.

    Without Plotly's tool bar: in half of a 1280-pixel page it appeared, on hover, over the
    chart's title (on the title's line, at the right, where a longer title, a Vietnamese one,
    reaches). Zooming stays: drag a box on the chart; a double click goes back."""
    column.plotly_chart(presenter.figure(figure, presenter.COMPARE_CHART_HEIGHT), key=key,
                        width="stretch", config={"displayModeBar": False})


def waiting_text(position: int, snapshot: ComparisonSnapshot) -> str | None:
    """What stands in for the grid of the model at `position` before it has one: it waits
    for its turn (one after another), it is building its networks, or it never got its
    turn; None once it has a grid."""
    run, before = snapshot.runs[position], snapshot.runs[:position]
    if run.samples is not None or run.status.went_wrong:
        return None
    name = ALGORITHM_INFO[run.config.algorithm].short_label
    if run.status.ended:
        return _("{algorithm} did not train: the comparison was stopped before its "
                 "turn.").format(algorithm=name)
    if snapshot.mode == "sequential" and any(other.active for other in before):
        return _("{algorithm} waits for its turn: it trains after {before}.").format(
            algorithm=name, before=", ".join(ALGORITHM_INFO[other.config.algorithm].short_label
                                             for other in before if other.active))
    return _("{algorithm} is building its networks: its samples appear in a few "
             "seconds.").format(algorithm=name)


def model_grid(job: Run, position: int, snapshot: ComparisonSnapshot, fed: bool) -> None:
    """One model's samples, or what stands in for them until it has some. A watcher (a
    follower) gets the grid every second from the live feed in the browser, like a watcher of
    a run on the Train page; the comparison's owner gets it from this page, redrawn every
    second."""
    run = snapshot.runs[position]
    if run.message and run.status.went_wrong:
        st.error(run.message)
    if waiting := waiting_text(position, snapshot):
        st.info(waiting, icon=":material/hourglass_top:")
    algorithm = run.config.algorithm.upper()
    caption = _("{algorithm} at step {step}").format(algorithm=algorithm, step="{step}")
    alt = _("36 samples from the {algorithm} generator at step {step}").format(
        algorithm=algorithm, step="{step}")
    if fed:
        live_view.watch_grid(job, run.status, caption, alt, follow=True,
                             key=f"compare-live-grid-{job.run_id}",
                             drawn_grid=run.samples is not None)
        return
    if run.samples is None:
        return
    if presenter.active():
        caption += (f" · {_(run.status)} · {format_number(run.elapsed_s, 0)} / "
                    f"{format_number(snapshot.run_seconds, 0)} s")
    step = format_number(run.samples_step)
    st.image(live_view.live_grid(run), output_format="PNG", width="stretch",
             caption=caption.format(step=step), alt=alt.format(step=step))


def progress_rows(snapshot: ComparisonSnapshot) -> None:
    """Each model's status and how much of its time it has trained."""
    for column, run in zip(st.columns(len(snapshot.runs)), snapshot.runs):
        done = run.elapsed_s / snapshot.run_seconds if run.status != RunStatus.CREATED else 0.0
        column.markdown(f"**{ALGORITHM_LABELS[run.config.algorithm]}** · {_(run.status)}")
        column.progress(min(1.0, done), text=_("{elapsed} / {budget} s, step {step}").format(
            elapsed=format_number(run.elapsed_s, 0),
            budget=format_number(snapshot.run_seconds, 0), step=format_number(run.step)))


def live(comparison: Comparison, was_active: bool, fed: bool) -> None:
    """Redrawn every second while the comparison trains (see the bottom of the page); for a
    watcher every live_view.WATCHER_REFRESH_S, its grids polled from the live feed."""
    following.keep_up(PAGES.compare)        # the teacher presents another job: go there
    snapshot = comparison.snapshot()
    if was_active and not snapshot.active:
        st.rerun()                  # leave live mode: the whole page redraws once
    presenting = presenter.active()
    # Presenter view: the grids' captions say how far each is, in one line. A watcher (on a
    # phone, where the columns stack) gets the grids first, as on the Train page.
    if not (presenting or fed):
        if snapshot.active:
            st.caption(_("About {left} left, {elapsed} so far (estimated from the pace so "
                         "far).").format(left=format_duration(snapshot.remaining_s),
                                         elapsed=format_duration(snapshot.wall_s)))
        progress_rows(snapshot)
    grids = st.container(key=presenter.GRIDS).columns(len(snapshot.runs))
    for position, (column, job) in enumerate(zip(grids, comparison.runs)):
        with column:
            model_grid(job, position, snapshot, fed)
    if fed and not presenting:
        progress_rows(snapshot)

    quality, dynamics = st.tabs([_("Sample quality"), _("Losses and gradients")])
    with quality:
        left, right = st.columns(2)
        baseline = next((float(r.evaluations["fd_baseline"][0]) for r in snapshot.runs
                         if "fd_baseline" in r.evaluations and len(r.evaluations["fd_baseline"])),
                        None)
        plot(left, charts.comparison_figure(
            snapshot, "fd", source="evaluations", title=_("Fréchet distance (lower is better)"),
            y_title="FD", reference=None if baseline is None else (baseline, _("real vs real")),
            log_y=True), "compare-fd")
        plot(right, charts.comparison_figure(
            snapshot, "classes_covered", source="evaluations",
            title=_("Classes drawn (mode collapse: few)"),
            y_title=_("classes covered"), y_range=(0, 10.5)), "compare-classes")
    with dynamics:
        left, right = st.columns(2)
        plot(left, charts.comparison_figure(
            snapshot, "loss_signal", title=_("The loss each article plots"),
            y_title=_("loss")), "compare-loss")
        plot(right, charts.comparison_figure(
            snapshot, "g_grad_norm", title=_("Generator gradient (vanishing: near 0)"),
            y_title="‖∇G‖", log_y=True), "compare-grad")

    st.subheader(_("Final numbers"))
    st.dataframe(final_table(snapshot), hide_index=True, width="stretch",
                 column_config=TABLE_HEADERS)  # short headers: the table fits 1280 px
    correlation_notes(snapshot)


if comparison is None:
    setup()
else:
    active = comparison.snapshot().active
    owner = state.registry().owner(comparison.run_id)
    may_stop = may(roles.current_owner(), Action.CONTROL, owner.id if owner else None)
    # Whoever may not control it watches it (a follower, above all): through the live feed,
    # as on the Train page, so that a class watching costs the server little.
    fed = not may_stop
    follows = bool(st.session_state.get(state.FOLLOW)) and state.following_teacher()
    buttons = side if presenting else st.container()
    if active and may_stop and buttons.button(_("Stop comparison"), icon=":material/stop:"):
        comparison.stop()
        st.rerun()
    if not active and buttons.button(_("New comparison"), icon=":material/restart_alt:",
                                     type="primary"):
        st.session_state.pop(COMPARISON)
        st.rerun()
    refresh_s = live_view.WATCHER_REFRESH_S if fed else 1.0
    st.fragment(live, run_every=refresh_s if active or follows else None)(
        comparison, active, fed)
