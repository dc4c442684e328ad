"""Train: set up a run, control it, and watch the generator learn, live.

The run trains in the background (a thread, or a Ray worker: ganlib.training.core.Run); this
page only reads snapshots of it. The live part is a fragment that redraws itself every second
while the run is active, and reruns the whole page once when the status changes, so the
controls always match the run.
A watcher (the watch link, a follower) gets the grid and the step every second from the live
feed in the browser instead (ui.live_view.watch_grid), and the fragment only every
live_view.WATCHER_REFRESH_S: a class of thirty would otherwise cost the server half a core.
"""

from bisect import bisect_right

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ganlib.algorithms import ALGORITHM_INFO
from ganlib.errors import ConfigError, GanlibError
from ganlib.images import gif_bytes, image_grid
from ganlib.training.core import Run, RunSnapshot, RunStatus
from ui import (charts, following, links, live_view, make_room, presenter, roles, state,
                widgets)
from ui.i18n import N_, _, format_number, format_percent
from ui.pages import PAGES, require_entry_point
from ui.text import plain

require_entry_point()

SAVING = "train-saving"    # (the name asked for, the save's future) of the save under way
RAW_VIEW = "train-generator-view"   # the "raw / averaged" switch over the sample grid

# How each status looks: badge text, colour and icon.
BADGES = {
    RunStatus.QUEUED: (RunStatus.QUEUED, "gray", ":material/schedule:"),  # for a Ray cluster
    RunStatus.CREATED: (N_("starting"), "violet", ":material/hourglass_top:"),
    RunStatus.RUNNING: (RunStatus.RUNNING, "green", ":material/play_arrow:"),
    RunStatus.PAUSED: (RunStatus.PAUSED, "orange", ":material/pause:"),
    RunStatus.FINISHED: (RunStatus.FINISHED, "blue", ":material/check:"),
    RunStatus.STOPPED: (RunStatus.STOPPED, "gray", ":material/stop:"),
    RunStatus.DIVERGED: (RunStatus.DIVERGED, "red", ":material/error:"),
    RunStatus.FAILED: (RunStatus.FAILED, "red", ":material/error:"),
}


def new_run_form() -> None:
    """The Start button, with what is wrong beside it, above the settings form it starts:
    a keyboard user reaches it two Tab presses after the skip link, not thirty-four."""
    if refusal := state.start_refusal():
        st.info(refusal, icon=":material/lock:")
        return
    links.open_train_link("train")          # a "try it" link's preset (Theory page)
    start, message = st.columns([1, 4], vertical_alignment="center")   # filled below
    try:
        config, problem = widgets.config_form("train"), None
    except ConfigError as exc:
        config, problem = None, str(exc)
    pressed = start.button(_("Start training"), key="train-start", type="primary",
                           icon=":material/play_arrow:", disabled=config is None,
                           width="stretch")
    try:
        started = config is not None and make_room.start_or_offer(
            "train-start", pressed, lambda replace: state.start_run(config, replace=replace),
            place=message)
    except GanlibError as exc:               # TooManyRuns, DataError
        problem = str(exc)
    else:
        if started:
            st.rerun()
    if problem:
        message.error(problem)


# --- control callbacks: they run before the page redraws ------------------------------------

def allowed(run: Run) -> bool:
    """Whether this browser may control `run`; a refusal is shown (a crafted request)."""
    try:
        state.check_control(run)
    except GanlibError as exc:
        st.toast(str(exc), icon=":material/lock:")
        return False
    return True


def pause(run: Run) -> None:
    if not allowed(run):
        return
    run.pause()
    run.wait_for(lambda s: s.status != RunStatus.RUNNING, timeout=2.0)   # at most one step


def resume(run: Run) -> None:
    if not allowed(run):
        return
    run.resume()
    run.wait_for(lambda s: s.status != RunStatus.PAUSED, timeout=2.0)


def stop(run: Run) -> None:
    if allowed(run):
        run.stop(timeout=10.0)


def step(run: Run) -> None:
    if allowed(run):
        run.step(int(st.session_state["train-step-n"]))


def controls(run: Run, snap: RunSnapshot, line=None) -> None:
    """Pause / Resume, Stop, Step N and Save, for the owner of the run. Given a horizontal
    container `line` (presenter view) they go on it, compact: no field labels (their help
    still names them), Save uses the default name, and its outcome is a toast that does not
    push the samples down. There each button is as wide as its label, which no fixed column
    fits in every language ("Tạm dừng" was cut to "Tạm d…" at 1280 pixels)."""
    compact = line is not None
    if compact:
        row, width = [line] * 5, "content"
    else:
        row, width = st.columns([1.2, 1, 1, 1.4, 2.4, 1.2], vertical_alignment="bottom"), "stretch"
    if snap.status == RunStatus.PAUSED:
        row[0].button(_("Resume"), key="train-resume", icon=":material/play_arrow:", type="primary",
                      on_click=resume, args=(run,), width=width)
    else:
        row[0].button(_("Pause"), key="train-pause", icon=":material/pause:",
                      on_click=pause, args=(run,), disabled=not snap.active, width=width)
    row[1].button(_("Stop"), key="train-stop", icon=":material/stop:", on_click=stop, args=(run,),
                  disabled=not snap.active, width=width)
    row[2].number_input(_("N steps"), key="train-step-n", min_value=1, max_value=10_000, value=10,
                        label_visibility="collapsed" if compact else "visible",
                        width=110 if compact else "stretch",
                        help=_("Pause first, then advance exactly this many generator steps "
                               "to see what a single update changes."))
    row[3].button(_("Step"), key="train-step", icon=":material/skip_next:", on_click=step,
                  args=(run,), disabled=snap.status != RunStatus.PAUSED, width=width)
    if not compact:
        row[4].text_input(
            _("Save as"), key="train-save-name",
            placeholder=f"{snap.config.algorithm}-{snap.config.preset}-<step>",
            help=_("A name for the saved model; empty uses the algorithm, preset and current "
                   "step."))
    row[-1].button(_("Save"), key="train-save", icon=":material/save:", width=width,
                   on_click=save, args=(run, compact))
    saved(compact)


def save(run: Run, compact: bool) -> None:
    """Start saving the run, in a thread of the server (state.registry().save): a callback
    runs first when the page reruns, so the save is under way even if the tab is closed at
    once, and it finishes without the tab."""
    if not allowed(run):
        return
    snap = run.snapshot(watch=False)
    typed = "" if compact else st.session_state.get("train-save-name", "").strip()
    wanted = typed or f"{snap.config.algorithm}-{snap.config.preset}-{snap.step}"
    st.session_state[SAVING] = (wanted, state.registry().save(run, wanted))


def saved(compact: bool) -> None:
    """The outcome of the save this tab started, once it is done; `compact` as a toast."""
    if (saving := st.session_state.pop(SAVING, None)) is None:
        return
    wanted, future = saving
    try:
        with st.spinner(_("Saving…")):
            info = future.result()
    except GanlibError as exc:
        if compact:
            st.toast(str(exc), icon=":material/error:")
        else:
            st.error(str(exc))
        return
    state.remember_model(info.name)
    where = _("Explore it on the Latent explorer and Interpolation pages; manage it on the "
              "Models page.")
    text = (_("Saved as **{name}**.").format(name=plain(info.name)) if info.name == wanted else
            _("Another model took the name '{wanted}' while this one was being saved, so this "
              "one is saved as **{name}**; nothing was replaced.").format(
                  wanted=plain(wanted), name=plain(info.name)))
    if compact:
        st.toast(f"{text} {where}", icon=":material/save:")
    else:
        st.success(f"{text} {where}")


def share(run: Run, compact: bool = False) -> None:
    """The watch link: anyone who opens it sees the run, without the controls (`compact`,
    presenter view: a short label, the popover says the rest)."""
    with st.popover(_("Share") if compact else _("Share a watch link"), icon=":material/share:"):
        if st.context.url:
            st.code(st.context.url + state.watch_link(run), language=None)
        else:
            st.code(state.watch_link(run), language=None)
            st.caption(_("Add this to the app's address."))
        st.caption(_("Whoever opens it watches this run live, read-only: no pause, stop or "
                     "save."))
        if not roles.classroom().solo:
            st.code((st.context.url or "") + state.follow_link(), language=None)
            st.caption(_("The follow link shows the run the teacher presents now, and "
                         "switches to the next one by itself."))


# --- the live part ----------------------------------------------------------------------------

def failure(snap: RunSnapshot) -> bool:
    """Say why a run diverged or failed, and what to do; whether it did."""
    if snap.status.went_wrong:
        st.error(f"{snap.message} " + _("Open **New run** to change the settings."))
        return True
    return False


def step_text(snap: RunSnapshot) -> str:
    """ "1,234 / 3,000", or "1,234" for a run with no step limit (1.234 / 3.000 in
    Vietnamese)."""
    total = f" / {format_number(snap.total_steps)}" if snap.total_steps else ""
    return format_number(snap.step) + total


def notice(run: Run) -> bool:
    """Tell the run's owner why the server stopped it and where it saved it (the teacher's
    start took its place, the teacher stopped it, nobody watched it); whether there was
    such a notice. Drawn in the live part, so the owner reads it as soon as the run stops."""
    if text := state.notice_for_me(run.run_id):
        st.warning(text, icon=":material/save:")
        return True
    return False


def status_line(snap: RunSnapshot, noticed: bool) -> None:
    """The status badge and what to know about it (`noticed`: the server's notice said why
    it stopped, which the run's own "Stopped" message would only blur)."""
    text, color, icon = BADGES[snap.status]
    st.badge(_(text), color=color, icon=icon)
    if failure(snap):
        pass                                   # said, with what to do
    elif snap.status == RunStatus.CREATED:
        st.info(_("Building the networks: TensorFlow takes a few seconds to start."))
    elif snap.status == RunStatus.FINISHED:
        st.success(f"{snap.message} " + (
            _("Saved as **{name}**: the Latent explorer and Interpolation pages open on "
              "it.").format(name=plain(snap.saved_as)) if snap.saved_as else
            _("Save it with the **Save** button above to explore it on the other pages.")))
    elif snap.message and not noticed:
        st.info(snap.message)
    if snap.dataset_notice:
        st.info(plain(snap.dataset_notice))          # may name a file a user chose


def headline(snap: RunSnapshot, noticed: bool) -> None:
    """Presenter view's one line instead of the status boxes and the metrics."""
    text, color, icon = BADGES[snap.status]
    line = st.container(horizontal=True, vertical_alignment="center")
    line.badge(_(text), color=color, icon=icon)
    left = (" · " + _("{duration} left").format(duration=widgets.format_duration(snap.eta_s))
            if snap.eta_s else "")
    line.markdown(_("**Step {step}** · epoch {epoch} · {speed} steps/s").format(
        step=step_text(snap), epoch=format_number(snap.epoch, 2),
        speed=format_number(snap.steps_per_s, 1)) + left)
    if not failure(snap) and snap.message and not noticed:
        line.caption(snap.message)


def numbers(snap: RunSnapshot) -> None:
    cells = st.columns([1.6, 1, 1, 1, 1])      # "1,234 / 3,000" must fit
    cells[0].metric(_("Step"), step_text(snap))
    cells[1].metric(_("Epoch"), format_number(snap.epoch, 2), help=_(
        "Passes over the {count} training images of {dataset}.").format(
            count=format_number(snap.num_images), dataset=plain(snap.dataset_name)))
    cells[2].metric(_("Steps / s"), format_number(snap.steps_per_s, 1))
    cells[3].metric(_("Elapsed"), widgets.format_duration(snap.elapsed_s),
                    help=_("Training time, pauses excluded."))
    cells[4].metric(_("Time left"), widgets.format_duration(snap.eta_s))
    if snap.progress is not None:
        left = (" · " + _("about {duration} left").format(
            duration=widgets.format_duration(snap.eta_s)) if snap.eta_s else "")
        st.progress(snap.progress, text=format_percent(snap.progress) + left)
    else:
        st.caption(_("No step limit: it trains until you stop it."))


def scrub_key(snap: RunSnapshot) -> str:
    return f"train-scrub-{snap.run_id}"


def scrubbed_back(snap: RunSnapshot) -> bool:
    """Whether the user moved the slider below the grid back from the newest grid."""
    return not st.session_state.get(f"{scrub_key(snap)}-live", True)


def scrub_step(snap: RunSnapshot) -> int | None:
    """Where the slider below the grid stands: at the newest grid until the user moves it
    back, and again once they move it back to the end; then where they left it (inside the
    timeline). None without two grids to scrub between.

    Set before the slider is drawn, for a watcher too: a watcher's grid comes live from the
    feed, and a slider left at its first step under it would be one touch away from
    showing step 0 for good.
    """
    steps = [s for s, _ in snap.timeline]
    if len(steps) < 2:
        return None
    key = scrub_key(snap)
    if not scrubbed_back(snap) or key not in st.session_state:
        st.session_state[key] = steps[-1]
    else:
        st.session_state[key] = min(max(st.session_state[key], steps[0]), steps[-1])
    return st.session_state[key]


def chosen_frame(snap: RunSnapshot) -> tuple[int, np.ndarray]:
    """The newest sample grid, or the one the user scrubbed back to with the slider below it."""
    step = scrub_step(snap)
    if step is None:
        return snap.samples_step, snap.samples
    return snap.timeline[bisect_right([s for s, _ in snap.timeline], step) - 1]


def scrub_slider(snap: RunSnapshot) -> None:
    if scrub_step(snap) is None:
        return
    steps = [s for s, _ in snap.timeline]
    key = scrub_key(snap)

    def moved() -> None:
        st.session_state[f"{key}-live"] = st.session_state[key] >= steps[-1]

    st.slider(_("Scrub back through training (step)"), steps[0], steps[-1], key=key,
              on_change=moved)


def timelapse(frames: tuple[tuple[int, np.ndarray], ...]) -> bytes:
    """The sample grids as an animated GIF (made only when the button is pressed)."""
    pictures = [image_grid(images, cols=live_view.GRID_COLUMNS, scale=2) for _, images in frames]
    return gif_bytes(pictures, fps=8, boomerang=False, hold_last=1.0)


def fed(run: Run, snap: RunSnapshot) -> bool:
    """Whether this tab watches `run` through the live feed: a watcher (not in presenter
    view) of a run that trains, or a follower, who must see the teacher's next run."""
    return (not presenter.active() and not state.can_control(run)
            and (snap.active or state.following_teacher()))


def generator_switch(snap: RunSnapshot) -> None:
    """The "raw / averaged" switch, where the run averages its generator. Drawn below the
    grid it chooses (its choice is read before, from its key), so that the grid comes first on
    a phone and on a projector."""
    if snap.raw_samples is None:
        return
    st.radio(
        _("Generator"), ["averaged", "raw"], key=RAW_VIEW, horizontal=True,
        format_func=lambda view: _("averaged") if view == "averaged" else _("raw"),
        help=_("The samples come from a running average of the generator's weights (setting "
               "ema_decay). Each training step pushes the generator after the critic's "
               "latest opinion, so the raw weights keep circling around a good generator "
               "without settling; their average sits near the middle of that circling and "
               "draws cleaner digits. Choose raw to see the generator as it is after the "
               "last step: only its newest grid, as the timeline keeps the averaged ones."))


def samples(run: Run, snap: RunSnapshot) -> None:
    if not presenter.active():
        st.markdown("#### " + _("Samples from 64 fixed noise vectors z"))
    caption = _("Step {step}: the same z every time, so you see the same digits take shape.")
    alt = _("64 samples from the generator at step {step}")
    if snap.samples is None:
        st.info(_("The first samples appear once the networks are built."))
    raw = snap.raw_samples is not None and st.session_state.get(RAW_VIEW) == "raw"
    if fed(run, snap) and not scrubbed_back(snap) and not raw:  # the first grid once it exists
        with st.container(key=presenter.GRID):
            live_view.watch_grid(run, snap.status, caption, alt, state.following_teacher(),
                                 drawn_grid=snap.samples is not None)
    elif snap.samples is not None:
        sample_step, images = ((snap.samples_step, snap.raw_samples) if raw
                               else chosen_frame(snap))
        grid = live_view.grid_png(snap.run_id, sample_step, images, live_view.GRID_COLUMNS,
                                  live_view.GRID_SCALE, raw=raw)
        st.container(key=presenter.GRID).image(
            grid, output_format="PNG", width="content",
            caption=caption.format(step=format_number(sample_step)),
            alt=alt.format(step=format_number(sample_step)))
    if snap.samples is None:
        return
    generator_switch(snap)
    if not raw:
        scrub_slider(snap)
    st.download_button(_("Download timelapse GIF"), data=lambda: timelapse(snap.timeline),
                       file_name=f"{snap.run_id}-timelapse.gif", mime="image/gif",
                       on_click="ignore", icon=":material/movie:",
                       disabled=len(snap.timeline) < 2)


def plot(figure: go.Figure, key: str) -> None:
    """A chart of the run, full width; in presenter view at the projector's size."""
    st.plotly_chart(presenter.figure(figure, presenter.TRAIN_CHART_HEIGHT), key=key,
                    width="stretch")


def curves(snap: RunSnapshot) -> None:
    if not len(snap.history.get("step", ())):
        st.info(_("The charts start with the first training step."))
        return
    gan = ALGORITHM_INFO[snap.config.algorithm].outputs_probability   # a discriminator
    losses, scores, gradients, quality = st.tabs(
        [_("Losses"), _("Scores"), _("Gradients"), _("Quality")], key="train-chart-tab",
        on_change="rerun")
    if losses.open is not False:
        with losses:
            plot(live_view.figure(snap, charts.loss_figure), "train-loss-chart")
            st.caption(_("GAN losses do not measure image quality; look at the samples.") if gan
                       else _("The Wasserstein estimate (right axis) rises while the critic "
                              "catches up, a few hundred steps, then falls as the samples "
                              "improve."))
    if scores.open is not False:
        with scores:
            plot(live_view.figure(snap, charts.d_scores_figure), "train-scores-chart")
            st.caption(_("At balance the discriminator cannot tell real from fake: both near "
                         "0.5.") if gan else
                       _("The gap between the two scores is the Wasserstein estimate."))
    if gradients.open is not False:
        with gradients:
            plot(live_view.figure(snap, charts.grad_norm_figure), "train-grad-chart")
            st.caption(_("Vanishing gradients: when the discriminator wins, the generator's "
                         "gradient sinks towards zero and it stops learning (try g_loss = "
                         "minimax). A critic's gradient stays informative.") if gan else
                       _("The critic keeps giving the generator a useful gradient."))
    if quality.open is not False:
        with quality:
            if not snap.evaluations:
                st.info(_("No quality metrics for this data: a classifier ships only for the "
                          "MNIST digits and Fashion-MNIST.") if not state.has_metrics(snap)
                        else _("The first evaluation appears after a few seconds."))
                return
            plot(live_view.figure(snap, charts.class_mix_figure), "train-class-chart")
            plot(live_view.figure(snap, charts.quality_figure), "train-fd-chart")
            last = {k: float(v[-1]) for k, v in snap.evaluations.items()}
            st.caption(_("Judged by the shipped classifier every few seconds on 500 samples: "
                         "{confident} confidently classified, inception score {inception}. "
                         "See the Theory page on mode collapse.").format(
                confident=format_percent(last["confident"]),
                inception=format_number(last["inception"], 2)))


def wait_for_teacher() -> None:
    """A follower before the teacher's first run: switch to it as soon as it starts. The
    browser polls the feed's classroom document and asks for this rerun when the teacher
    presents a job; the fragment itself refreshes only every live_view.WATCHER_REFRESH_S."""
    following.keep_up(PAGES.train)
    st.caption(_("Following the teacher: their run appears here when it starts."))
    live_view.watch_classroom()


def live(run: Run, drawn_status: RunStatus) -> None:
    """Everything that changes while the run trains; `drawn_status` is what the rest of the
    page was drawn for: when the run moves on (paused, ended), the whole page reruns."""
    following.keep_up(PAGES.train)   # the teacher presents another job: show that one
    snap = run.snapshot()
    if snap.status != drawn_status:
        st.rerun()
    presenting, watching = presenter.active(), not state.can_control(run)
    noticed = notice(run)
    if presenting:
        headline(snap, noticed)
    else:
        status_line(snap, noticed)
    if not (presenting or watching):
        numbers(snap)
    left, right = st.columns([4, 5] if presenting else [5, 4], gap="large")
    with left:
        samples(run, snap)
    with right:
        curves(snap)
    if watching and not presenting:
        numbers(snap)     # after the grid: on a phone, where columns stack, it comes first


def new_run_panel() -> None:
    with st.expander(_("New run"), icon=":material/add:"):
        new_run_form()


def header(run: Run, snap: RunSnapshot, presenting: bool) -> None:
    """The run's name, its watch link and its controls (or why there are none); in
    presenter view on one line."""
    watching = (_("You are watching this run (read-only). Only the browser that started it "
                  "can pause, stop or save it.") if roles.classroom().solo else
                _("You are watching this run (read-only). Only the browser that started it "
                  "or the teacher can pause, stop or save it."))
    if presenting:       # the buttons and the link on one line that wraps, never cuts
        head, right = st.columns([3.6, 6.8], vertical_alignment="center")
        head.subheader(plain(snap.config.label))
        line = right.container(horizontal=True, vertical_alignment="center", gap="small")
        if state.can_control(run):
            controls(run, snap, line)
        else:
            line.caption(watching)
        with line:
            share(run, compact=True)
        return
    head, link = st.columns([4, 1], vertical_alignment="center")
    head.subheader(plain(snap.config.label))
    line = link.container(horizontal=True, vertical_alignment="center", gap="small")
    with line:
        share(run)
    if state.can_control(run):
        controls(run, snap)
    else:   # beside Share, the why in its tooltip: a box here pushed a phone's grid off screen
        line.caption(":material/visibility: " + _("Read-only"), help=watching, width="content")


# --- the page ---------------------------------------------------------------------------------

following.keep_up(PAGES.train, redraw=False)
run = state.current_run()
presenting = presenter.active() and run is not None
if not presenting:
    st.title(_("Train"))
if run is None:
    if state.following_teacher():
        st.fragment(wait_for_teacher, run_every=live_view.WATCHER_REFRESH_S)()
    st.caption(_("Choose a training rule and a preset; every field starts at the preset's "
                 "value."))
    new_run_form()
    st.stop()

# For a presenter and for a watcher (on a phone too) the samples come first, the panel below.
panel_below = presenting or not state.can_control(run)
if not panel_below:
    new_run_panel()
snap = run.snapshot()
header(run, snap, presenting)
refresh_s = live_view.WATCHER_REFRESH_S if fed(run, snap) else 1.0
st.fragment(live, run_every=refresh_s if snap.active or state.following_teacher() else None)(
    run, snap.status)
if panel_below:
    new_run_panel()
