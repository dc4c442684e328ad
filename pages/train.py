"""Train: set up a run, control it, and watch the generator learn, live.

The run trains in its own thread (ganlib.runner); this page only reads snapshots of it. The
live part is a fragment that redraws itself every second while the run is active, and
reruns the whole page once when the status changes, so the controls always match the run.
"""

from bisect import bisect_right

import numpy as np
import streamlit as st

from ganlib.algorithms import ALGORITHM_INFO
from ganlib.errors import ConfigError, GanlibError
from ganlib.images import gif_bytes, image_grid
from ganlib.runner import RunSnapshot, TrainingRun
from ui import charts, roles, state, widgets
from ui.pages import require_entry_point
from ui.text import plain

require_entry_point()

# How each status looks: badge text, colour and icon.
BADGES = {
    "created": ("starting", "violet", ":material/hourglass_top:"),
    "running": ("running", "green", ":material/play_arrow:"),
    "paused": ("paused", "orange", ":material/pause:"),
    "finished": ("finished", "blue", ":material/check:"),
    "stopped": ("stopped", "gray", ":material/stop:"),
    "diverged": ("diverged", "red", ":material/error:"),
    "failed": ("failed", "red", ":material/error:"),
}
GRID_COLUMNS = 8        # 64 fixed-noise samples as 8 x 8
GRID_SCALE = 3          # each 28 x 28 digit drawn 84 x 84 pixels: crisp on a projector, and a
                        # 672-pixel PNG a second is half the encoding of 896 pixels


def new_run_form() -> None:
    """The settings form and the Start button, with what is wrong beside it."""
    if refusal := state.start_refusal():
        st.info(refusal, icon=":material/lock:")
        return
    try:
        config, problem = widgets.config_form("train"), None
    except ConfigError as exc:
        config, problem = None, str(exc)
    start, message = st.columns([1, 4], vertical_alignment="center")
    if start.button("Start training", key="train-start", type="primary",
                    icon=":material/play_arrow:", disabled=config is None, width="stretch"):
        try:
            state.start_run(config)
        except GanlibError as exc:           # TooManyRuns, DataError
            problem = str(exc)
        else:
            st.rerun()
    if problem:
        message.error(problem)


# --- control callbacks: they run before the page redraws ------------------------------------

def allowed(run: TrainingRun) -> bool:
    """Whether this browser may control `run`; a refusal is shown (a crafted request)."""
    try:
        state.check_control(run)
    except GanlibError as exc:
        st.toast(str(exc), icon=":material/lock:")
        return False
    return True


def pause(run: TrainingRun) -> None:
    if not allowed(run):
        return
    run.pause()
    run.wait_for(lambda s: s.status != "running", timeout=2.0)   # at most one step


def resume(run: TrainingRun) -> None:
    if not allowed(run):
        return
    run.resume()
    run.wait_for(lambda s: s.status != "paused", timeout=2.0)


def stop(run: TrainingRun) -> None:
    if allowed(run):
        run.stop(timeout=10.0)


def step(run: TrainingRun) -> None:
    if allowed(run):
        run.step(int(st.session_state["train-step-n"]))


def controls(run: TrainingRun, snap: RunSnapshot) -> None:
    """Pause / Resume, Stop, Step N and Save, for the owner of the run."""
    row = st.columns([1.2, 1, 1, 1.4, 2.4, 1.2], vertical_alignment="bottom")
    if snap.status == "paused":
        row[0].button("Resume", key="train-resume", icon=":material/play_arrow:", type="primary",
                      on_click=resume, args=(run,), width="stretch")
    else:
        row[0].button("Pause", key="train-pause", icon=":material/pause:",
                      on_click=pause, args=(run,), disabled=not snap.active, width="stretch")
    row[1].button("Stop", key="train-stop", icon=":material/stop:", on_click=stop, args=(run,),
                  disabled=not snap.active, width="stretch")
    row[2].number_input("N steps", key="train-step-n", min_value=1, max_value=10_000, value=10,
                        help="Pause first, then advance exactly this many generator steps "
                             "to see what a single update changes.")
    row[3].button("Step", key="train-step", icon=":material/skip_next:", on_click=step,
                  args=(run,), disabled=snap.status != "paused", width="stretch")
    default_name = f"{snap.config.algorithm}-{snap.config.preset}-{snap.step}"
    name = row[4].text_input("Save as", key="train-save-name",
                             placeholder=f"{snap.config.algorithm}-{snap.config.preset}-<step>",
                             help="A name for the saved model; empty uses the algorithm, "
                                  "preset and current step.")
    if row[5].button("Save", key="train-save", icon=":material/save:", width="stretch"):
        try:
            state.check_control(run)
            # Never replace another model silently: a taken name is an error saying so.
            info = run.save(name.strip() or default_name, overwrite=False)
        except GanlibError as exc:
            st.error(str(exc))
        else:
            st.success(f"Saved as **{info.name}**. Explore it on the Latent explorer and "
                       f"Interpolation pages; manage it on the Models page.")


def share(run: TrainingRun) -> None:
    """The watch link: anyone who opens it sees the run, without the controls."""
    with st.popover("Share a watch link", icon=":material/share:"):
        if st.context.url:
            st.code(st.context.url + state.watch_link(run), language=None)
        else:
            st.code(state.watch_link(run), language=None)
            st.caption("Add this to the app's address.")
        st.caption("Whoever opens it watches this run live, read-only: no pause, stop or save.")
        if not roles.classroom().solo:
            st.code((st.context.url or "") + state.follow_link(), language=None)
            st.caption("The follow link shows the run the teacher presents now, and switches "
                       "to the next one by itself.")


# --- the live part ----------------------------------------------------------------------------

def status_line(snap: RunSnapshot) -> None:
    text, color, icon = BADGES[snap.status]
    st.badge(text, color=color, icon=icon)
    if snap.status in ("diverged", "failed"):
        st.error(f"{snap.message} Open **New run** above to change the settings.")
    elif snap.status == "created":
        st.info("Building the networks: TensorFlow takes a few seconds to start.")
    elif snap.status == "finished":
        st.success(f"{snap.message} Save the model below to explore it on the other pages.")
    elif snap.message:
        st.info(snap.message)
    if snap.dataset_notice:
        st.info(plain(snap.dataset_notice))          # may name a file a user chose


def numbers(snap: RunSnapshot) -> None:
    total = f" / {snap.total_steps:,}" if snap.total_steps else ""
    cells = st.columns([1.6, 1, 1, 1, 1])      # "1,234 / 3,000" must fit
    cells[0].metric("Step", f"{snap.step:,}{total}")
    cells[1].metric("Epoch", f"{snap.epoch:.2f}", help=f"Passes over the {snap.num_images:,} "
                    f"training images of {plain(snap.dataset_name)}.")
    cells[2].metric("Steps / s", f"{snap.steps_per_s:.1f}")
    cells[3].metric("Elapsed", widgets.format_duration(snap.elapsed_s),
                    help="Training time, pauses excluded.")
    cells[4].metric("Time left", widgets.format_duration(snap.eta_s))
    if snap.progress is not None:
        left = f" · about {widgets.format_duration(snap.eta_s)} left" if snap.eta_s else ""
        st.progress(snap.progress, text=f"{snap.progress:.0%}{left}")
    else:
        st.caption("No step limit: it trains until you stop it.")


def chosen_frame(snap: RunSnapshot) -> tuple[int, np.ndarray]:
    """The newest sample grid, or the one the user scrubbed back to with the slider below it.

    The slider follows the newest grid until the user moves it, and again once they move
    it back to the end.
    """
    steps = [s for s, _ in snap.timeline]
    if len(steps) < 2:
        return snap.samples_step, snap.samples
    key = f"train-scrub-{snap.run_id}"
    if st.session_state.get(f"{key}-live", True):
        st.session_state[key] = steps[-1]
    else:
        st.session_state[key] = min(max(st.session_state[key], steps[0]), steps[-1])
    return snap.timeline[bisect_right(steps, st.session_state[key]) - 1]


def scrub_slider(snap: RunSnapshot) -> None:
    steps = [s for s, _ in snap.timeline]
    if len(steps) < 2:
        return
    key = f"train-scrub-{snap.run_id}"

    def moved() -> None:
        st.session_state[f"{key}-live"] = st.session_state[key] >= steps[-1]

    st.slider("Scrub back through training (step)", steps[0], steps[-1], key=key,
              on_change=moved)


def timelapse(frames: tuple[tuple[int, np.ndarray], ...]) -> bytes:
    """The sample grids as an animated GIF (made only when the button is pressed)."""
    pictures = [image_grid(images, cols=GRID_COLUMNS, scale=2) for _, images in frames]
    return gif_bytes(pictures, fps=8, boomerang=False, hold_last=1.0)


def samples(snap: RunSnapshot) -> None:
    st.markdown("#### Samples from 64 fixed noise vectors z")
    if snap.samples is None:
        st.info("The first samples appear once the networks are built.")
        return
    sample_step, images = chosen_frame(snap)
    st.image(image_grid(images, cols=GRID_COLUMNS, scale=GRID_SCALE), output_format="PNG",
             width="content", caption=f"Step {sample_step:,}: the same z every time, so you "
                                      f"see the same digits take shape.")
    scrub_slider(snap)
    st.download_button("Download timelapse GIF", data=lambda: timelapse(snap.timeline),
                       file_name=f"{snap.run_id}-timelapse.gif", mime="image/gif",
                       on_click="ignore", icon=":material/movie:",
                       disabled=len(snap.timeline) < 2)


def curves(snap: RunSnapshot) -> None:
    if not len(snap.history.get("step", ())):
        st.info("The charts start with the first training step.")
        return
    gan = ALGORITHM_INFO[snap.config.algorithm].outputs_probability   # a discriminator
    losses, scores, gradients, quality = st.tabs(
        ["Losses", "Scores", "Gradients", "Quality"], key="train-chart-tab", on_change="rerun")
    if losses.open is not False:
        with losses:
            st.plotly_chart(charts.loss_figure(snap), key="train-loss-chart", width="stretch")
            st.caption("GAN losses do not measure image quality; look at the samples." if gan
                       else "The Wasserstein estimate should fall as the samples improve.")
    if scores.open is not False:
        with scores:
            st.plotly_chart(charts.d_scores_figure(snap), key="train-scores-chart",
                            width="stretch")
            st.caption("At balance the discriminator cannot tell real from fake: both near "
                       "0.5." if gan else
                       "The gap between the two scores is the Wasserstein estimate.")
    if gradients.open is not False:
        with gradients:
            st.plotly_chart(charts.grad_norm_figure(snap), key="train-grad-chart",
                            width="stretch")
            st.caption("Vanishing gradients: when the discriminator wins, the generator's "
                       "gradient sinks towards zero and it stops learning (try g_loss = "
                       "minimax). A critic's gradient stays informative." if gan else
                       "The critic keeps giving the generator a useful gradient.")
    if quality.open is not False:
        with quality:
            if not snap.evaluations:
                st.info("No quality metrics for this data: a classifier ships only for the "
                        "MNIST digits and Fashion-MNIST." if not state.has_metrics(snap)
                        else "The first evaluation appears after a few seconds.")
                return
            st.plotly_chart(charts.class_mix_figure(snap), key="train-class-chart",
                            width="stretch")
            st.plotly_chart(charts.quality_figure(snap), key="train-fd-chart", width="stretch")
            last = {k: float(v[-1]) for k, v in snap.evaluations.items()}
            st.caption(f"Judged by the shipped classifier every few seconds on 500 samples: "
                       f"{last['confident']:.0%} confidently classified, inception score "
                       f"{last['inception']:.2f}. See the Theory page on mode collapse.")


def wait_for_teacher() -> None:
    """A follower before the teacher's first run: switch to it as soon as it starts."""
    if state.follow_teacher():
        st.rerun()
    st.caption("Following the teacher: their run appears here when it starts.")


def live(run: TrainingRun, drawn_status: str) -> None:
    """Everything that changes while the run trains; `drawn_status` is what the rest of the
    page was drawn for: when the run moves on (paused, ended), the whole page reruns."""
    if state.follow_teacher():      # the teacher presents another run: show that one
        st.rerun()
    snap = run.snapshot()
    if snap.status != drawn_status:
        st.rerun()
    status_line(snap)
    numbers(snap)
    left, right = st.columns([5, 4], gap="large")
    with left:
        samples(snap)
    with right:
        curves(snap)


# --- the page ---------------------------------------------------------------------------------

st.title("Train")
state.follow_teacher()
run = state.current_run()
if run is None:
    if state.following_teacher():
        st.fragment(wait_for_teacher, run_every=1.0)()
    st.caption("Choose a training rule and a preset; every field starts at the preset's value.")
    new_run_form()
    st.stop()

with st.expander("New run", icon=":material/add:"):
    new_run_form()

snap = run.snapshot()
head, link = st.columns([4, 1], vertical_alignment="center")
head.subheader(snap.config.label)
with link:
    share(run)
if notice := state.registry().notice(run.run_id):
    st.warning(notice, icon=":material/save:")
if state.can_control(run):
    controls(run, snap)
else:
    st.info("You are watching this run (read-only). Only the browser that started it "
            f"{'' if roles.classroom().solo else 'or the teacher '}can pause, stop or save it.",
            icon=":material/visibility:")

st.fragment(live, run_every=1.0 if snap.active or state.following_teacher() else None)(
    run, snap.status)
