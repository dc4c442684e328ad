"""2D playground: a GAN learning points in the plane, with its discriminator drawn as a map.

In the spirit of GAN Lab. The Playground (ganlib.playground) holds Keras models, so it lives
in this session's state and is rebuilt only when a setting that shapes the networks
changes; learning rates and updates per step change it in place, mid-training. Training
happens in short bounded bursts inside a fragment that reruns every FRAME_S seconds while
playing, so the page never blocks.

The live map and the loss curves are Vega-Lite charts (why: see "the picture" below); the
drawing canvas is Plotly, whose lasso and box selections pick the real points.
"""

import hashlib

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ganlib import palette
from ganlib import playground as pg
from ganlib.algorithms import ALGORITHM_INFO, ALGORITHM_LABELS, ALGORITHMS
from ganlib.config import G_LOSSES
from ganlib.errors import GanlibError
from ui import charts, links, presenter, widgets
from ui.i18n import _, file_uploader, format_number
from ui.pages import require_entry_point

require_entry_point()

MODEL = "pg-model"            # session_state: (identity, Playground)
PLAYING = "pg-playing"        # session_state: True while Play runs
CUSTOM = "pg-custom-"         # + "upload" / "draw", session_state: (name, points)
FRAME_S = 0.3                 # seconds between frames while playing
DATA_LABELS = {
    "ring": _("Ring of 8 blobs"),
    "grid": _("Grid of 25 blobs"),
    "spiral": _("Spiral"),
    "upload": _("Upload points"),
    "draw": _("Draw your own"),
}
# Blue for the real data and for "real" regions, orange for the generator and "fake"
# regions: the colours of every chart in the app (ganlib.palette; the real points a darker
# blue, to stand out on the map's light blue).
REAL, FAKE, ARROW = palette.DARK_BLUE, palette.GENERATOR, palette.INK
FIELD_COLORS = [[0.0, palette.LIGHT_ORANGE], [0.5, palette.WHITE], [1.0, palette.LIGHT_BLUE]]
FIELD_GRID = 60               # the map is FIELD_GRID x FIELD_GRID cells
MAP_SIZE = 440                # the map's side in pixels
SIDE_WIDTH = 360              # the numbers and losses beside it; below it on narrow screens
ARROWS = 60                   # generated points that get a gradient arrow
ARROW_LENGTH = 0.18           # the longest arrow, in data units
CANVAS_POINTS = 1600          # candidate points on the drawing canvas


# --- settings ---------------------------------------------------------------------------------

def load_defaults() -> None:
    """Fill the settings fields with the chosen algorithm's defaults (a widget callback)."""
    settings = pg.default_settings(st.session_state["pg-algorithm"])
    for name in ("d_lr", "g_lr", "latent_dim", "batch_size", "d_updates_per_step",
                 "g_updates_per_step", "clip_value", "gp_weight", "g_loss", "seed"):
        st.session_state[f"pg-{name}"] = getattr(settings, name)


def mode_collapse_demo() -> None:
    """The one-click demonstration: ring, GAN, the generator updated 3 times per step."""
    st.session_state["pg-data"] = "ring"
    st.session_state["pg-algorithm"] = "gan"
    load_defaults()
    st.session_state["pg-g_updates_per_step"] = 3
    st.session_state[PLAYING] = True


def open_link() -> None:
    """The data, rule and G updates per step a link names (ui.links; the Theory page's
    "try it" box on mode collapse opens /playground?data=ring&algorithm=gan&g_updates=3)."""
    if data := links.chosen("data", DATA_LABELS):
        st.session_state["pg-data"] = data
    if algorithm := links.chosen("algorithm", ALGORITHMS):
        st.session_state["pg-algorithm"] = algorithm
        load_defaults()
    counts = [str(n) for n in range(1, pg.MAX_UPDATES_PER_STEP + 1)]
    if updates := links.chosen("g_updates", counts):
        st.session_state["pg-g_updates_per_step"] = int(updates)


def settings_form() -> tuple[str, str, pg.PlaygroundSettings]:
    """Data, algorithm and settings; returns (data choice, algorithm, settings)."""
    if "pg-algorithm" not in st.session_state:
        st.session_state["pg-algorithm"] = "gan"
        load_defaults()
    open_link()
    row = st.container(horizontal=True, vertical_alignment="bottom")   # wraps when narrow
    data = row.selectbox(_("Real data"), list(DATA_LABELS), format_func=DATA_LABELS.get,
                         key="pg-data", width=180)
    algorithm = row.selectbox(_("Algorithm"), ALGORITHMS,
                              format_func=lambda a: ALGORITHM_INFO[a].short_label,
                              key="pg-algorithm", on_change=load_defaults, width=170,
                              help=_("Changing it loads settings that train well in 2D.")
                              + " " + " · ".join(ALGORITHM_LABELS.values()))
    rule = ALGORITHM_INFO[algorithm]
    rate = dict(lo=1e-5, hi=0.1, width=125)
    d_lr = widgets.decimal_input(
        row, _("{critic} learning rate").format(critic=rule.critic_abbrev), "pg-d_lr", **rate)
    g_lr = widgets.decimal_input(row, _("G learning rate"), "pg-g_lr", **rate)
    updates = dict(min_value=1, max_value=pg.MAX_UPDATES_PER_STEP, step=1, width=125)
    # "per step" only beside a one-letter name: "Critic updates per step" wraps in 125 px.
    d_updates = row.number_input(
        (_("{critic} updates per step") if len(rule.critic_abbrev) == 1
         else _("{critic} updates")).format(critic=rule.critic_abbrev),
        key="pg-d_updates_per_step",
        help=_("Discriminator/critic updates in each step. For the WGANs this is n_critic."),
        **updates)
    g_updates = row.number_input(
        _("G updates per step"), key="pg-g_updates_per_step",
        help=_("Generator updates in each step. More than D's: the generator outruns the "
               "discriminator and chases it from mode to mode."), **updates)
    own = {}                  # the one setting of the chosen rule
    with st.expander(_("More settings (changing these restarts training)")):
        more = st.columns(4)
        latent_dim = more[0].number_input(_("Latent size (z)"), 2, 8, key="pg-latent_dim")
        batch_size = more[1].number_input(_("Batch size"), 8, 512, key="pg-batch_size")
        if "g_loss" in rule.settings:
            own["g_loss"] = more[2].selectbox(_("Generator loss"), G_LOSSES, key="pg-g_loss")
        if "clip_value" in rule.settings:
            own["clip_value"] = widgets.decimal_input(
                more[2], _("Weight clip (clip_value)"), "pg-clip_value", lo=0.001, hi=1.0,
                help=_("0.01 (the articles' value) flattens these small critics to ~0: try it "
                       "and watch the map go blank."))
        if "gp_weight" in rule.settings:
            own["gp_weight"] = widgets.decimal_input(
                more[2], _("Gradient-penalty weight"), "pg-gp_weight", lo=0.01, hi=100.0)
        seed = more[3].number_input(_("Seed"), 0, 2**31 - 1, key="pg-seed")
    settings = pg.PlaygroundSettings(
        d_lr=d_lr, g_lr=g_lr, latent_dim=latent_dim, batch_size=batch_size,
        d_updates_per_step=d_updates, g_updates_per_step=g_updates, seed=seed, **own)
    return data, algorithm, settings


# --- data -------------------------------------------------------------------------------------

def upload_form() -> None:
    file = file_uploader(_("Points: CSV with one \"x,y\" per line (a header is fine), or a "
                           ".npy array of shape (N, 2)"), types=("csv", "txt", "npy"),
                         key="pg-upload")
    if file is None:
        st.session_state.pop(CUSTOM + "upload", None)
        return
    if st.session_state.get("pg-upload-id") != file.file_id:        # parse each file once
        st.session_state.pop(CUSTOM + "upload", None)
        st.session_state["pg-upload-id"] = file.file_id
        try:
            st.session_state[CUSTOM + "upload"] = (file.name,
                                                   pg.points_from_upload(file.getvalue()))
        except GanlibError as exc:
            st.session_state["pg-upload-error"] = str(exc)
        else:
            st.session_state.pop("pg-upload-error", None)
    if "pg-upload-error" in st.session_state:
        st.error(st.session_state["pg-upload-error"])
        return
    points = st.session_state[CUSTOM + "upload"][1]
    st.caption(_("{count} points from {name}, moved and scaled to fill the square.").format(
        count=format_number(len(points)), name=file.name))


def canvas_figure() -> go.Figure:
    """Faint candidate points over the playground's square: the lasso picks the data."""
    rng = np.random.default_rng(0)
    candidates = rng.uniform(-1.0, 1.0, (CANVAS_POINTS, 2)).astype(np.float32)
    figure = go.Figure(go.Scatter(x=candidates[:, 0], y=candidates[:, 1], mode="markers",
                                  marker=dict(size=5, color=palette.LIGHT_GREY),
                                  selected=dict(marker=dict(color=REAL, size=7)),
                                  hoverinfo="skip", name="canvas"))
    figure.update_layout(height=420, dragmode="lasso", margin=dict(l=10, r=10, t=10, b=10),
                         showlegend=False, uirevision="canvas")
    figure.update_xaxes(range=list(pg.BOUNDS), showgrid=False, zeroline=False,
                        constrain="domain")
    figure.update_yaxes(range=list(pg.BOUNDS), scaleanchor="x", showgrid=False, zeroline=False,
                        constrain="domain")
    return figure


def draw_form() -> None:
    drawn = st.session_state.get(CUSTOM + "draw") is not None
    box = st.expander(_("Drawing canvas"), expanded=not drawn, icon=":material/draw:")
    left, right = box.columns([2, 1])
    with left:
        event = st.plotly_chart(canvas_figure(), key="pg-canvas", on_select="rerun",
                                selection_mode=("lasso", "box"), width="stretch")
    selected = event.selection.points if event else []
    right.markdown(_("**Draw the real data.** Drag a lasso (or a box) around the area where "
                     "the real points should be; hold **Shift** to add more areas. Then use "
                     "the selection."))
    right.caption(_("{count} points selected.").format(count=len(selected)))
    if right.button(_("Use the selected points"), icon=":material/check:", type="primary",
                    disabled=not selected):
        try:
            points = pg.points_from_list(selected)
        except GanlibError as exc:
            right.error(str(exc))
        else:
            st.session_state[CUSTOM + "draw"] = (_("your drawing"), points)


def real_data(choice: str) -> tuple[str, np.ndarray, pg.Modes | None] | None:
    """(name, points, modes) of the chosen data, or None while none is uploaded/drawn."""
    if choice in pg.MIXTURES:
        return choice, pg.mixture(choice), pg.mixture_modes(choice)
    if choice == "upload":
        upload_form()
    else:
        draw_form()
    custom = st.session_state.get(CUSTOM + choice)
    return None if custom is None else (*custom, None)


def playground(algorithm: str, data: tuple[str, np.ndarray, pg.Modes | None],
               settings: pg.PlaygroundSettings) -> pg.Playground:
    """This session's Playground, rebuilt only when the data or a structural setting changes."""
    name, points, modes = data
    digest = hashlib.sha1(points.tobytes()).hexdigest()
    identity = (name, digest, algorithm, settings.latent_dim, settings.batch_size,
                settings.clip_value, settings.gp_weight, settings.g_loss, settings.seed)
    built, model = st.session_state.get(MODEL, (None, None))
    if built != identity:
        with st.spinner(_("Building the networks…")):
            model = pg.Playground(algorithm, points, settings, modes)
        st.session_state[MODEL] = (identity, model)
    model.adjust(d_lr=settings.d_lr, g_lr=settings.g_lr,
                 d_updates_per_step=settings.d_updates_per_step,
                 g_updates_per_step=settings.g_updates_per_step)
    return model


# --- controls ---------------------------------------------------------------------------------

def toggle_play() -> None:
    st.session_state[PLAYING] = not st.session_state.get(PLAYING, False)


def manual(action: str) -> None:
    """One manual update; pauses playing so its effect stays on the screen."""
    st.session_state[PLAYING] = False
    model = st.session_state[MODEL][1]
    {"step": model.step, "d": model.train_discriminator, "g": model.train_generator,
     "reset": model.reset}[action]()


def controls(row, algorithm: str) -> tuple[int, bool]:
    """The buttons, in `row`; returns (steps per frame, show arrows)."""
    playing = st.session_state.get(PLAYING, False)
    rule = ALGORITHM_INFO[algorithm]
    row.button(_("Pause") if playing else _("Play"), key="pg-play", on_click=toggle_play,
               icon=":material/pause:" if playing else ":material/play_arrow:",
               type="primary", width=110)
    row.button(_("One full step"), key="pg-step", on_click=manual, args=("step",),
               icon=":material/skip_next:")
    row.button(_("Train {critic} only").format(critic=rule.critic_abbrev), key="pg-train-d",
               on_click=manual, args=("d",),
               help=_("One {critic} update: the generated points stay put, the map "
                      "changes.").format(critic=rule.critic_name))
    row.button(_("Train G only"), key="pg-train-g", on_click=manual, args=("g",),
               help=_("One generator update: the points move along the arrows, the map "
                      "stays."))
    row.button(_("Reset"), key="pg-reset", on_click=manual, args=("reset",),
               icon=":material/restart_alt:",
               help=_("Back to step 0 with the same starting weights (change the seed for "
                      "others)."))
    speed = row.select_slider(_("Steps per frame"), [1, 5, 10, 20, 50, 100], value=50,
                              key="pg-speed", width=200)
    arrows = row.toggle(_("Arrows"), value=True, key="pg-arrows",
                           help=_("The generator's push: where the next generator update "
                                  "moves each point (the longest arrow is the strongest "
                                  "push)."))
    return speed, arrows


# --- the picture ------------------------------------------------------------------------------
# The live charts are Vega-Lite, not Plotly: Streamlit 1.67 rebuilds a Plotly chart from
# scratch on every update (the plot's element is replaced each frame, and it is blank for
# part of the time: a flicker at three frames a second), while a Vega-Lite chart whose spec
# is unchanged gets its datasets swapped in place. So each spec below depends only on the
# algorithm; everything that moves is in the named datasets.

def axis(name: str, title: str | None = None) -> dict:
    return {"field": name, "type": "quantitative", "title": title,
            "scale": {"domain": list(pg.BOUNDS), "nice": False, "zero": False},
            "axis": {"values": [-1.5, -1, -0.5, 0, 0.5, 1, 1.5]}}


def field_chart(model: pg.Playground, arrows: bool, side_legends: bool = False) -> dict:
    """The discriminator's map, the real and generated points, and the generator's push.

    The legends go above and below the map, or with `side_legends` (presenter view, where
    the screen is wide and short) beside it."""
    xs, ys, values = model.field(FIELD_GRID)
    probability = model.info.outputs_probability
    half = (xs[1] - xs[0]) * 0.51             # cells overlap a hair: no seams between them
    cx, cy = np.meshgrid(xs, ys)              # values[i, j] is at (xs[j], ys[i])
    cells = pd.DataFrame({"x": (cx - half).ravel(), "x2": (cx + half).ravel(),
                          "y": (cy - half).ravel(), "y2": (cy + half).ravel(),
                          "value": values.ravel()})
    real, fake = model.real_points(), model.samples()
    both = np.concatenate([real, fake])
    points = pd.DataFrame({"x": both[:, 0], "y": both[:, 1],
                           "kind": [_("real data")] * len(real)
                           + [_("generated G(z)")] * len(fake)})
    start = fake[:ARROWS] if arrows else np.zeros((0, 2), np.float32)
    push = model.generator_gradients(start) if arrows else start
    longest = float(np.linalg.norm(push, axis=1).max()) if len(push) else 1.0
    tips = start + push * (ARROW_LENGTH / max(longest, 1e-12))
    kinds = [_("real data"), _("generated G(z)")] + ([_("generator's push")] if arrows else [])
    colors = [REAL, FAKE] + ([ARROW] if arrows else [])
    color = {"field": "kind", "type": "nominal", "title": None,
             "scale": {"domain": kinds, "range": colors},
             "legend": {"orient": "right" if side_legends else "top", "symbolSize": 150}}
    return {
        # "pad": width and height are the plot's own, so it stays square (Streamlit's
        # default "fit" squeezes the legends and axes into them).
        "width": MAP_SIZE, "height": MAP_SIZE, "autosize": {"type": "pad"},
        "datasets": {
            "field": cells,
            "points": points,
            "arrows": pd.DataFrame({
                "x": start[:, 0], "y": start[:, 1], "x2": tips[:, 0], "y2": tips[:, 1],
                "angle": np.degrees(np.arctan2(push[:, 0], push[:, 1])) % 360,
                "kind": _("generator's push")}),
        },
        "layer": [
            {"data": {"name": "field"}, "mark": {"type": "rect", "strokeWidth": 0},
             "encoding": {
                 "x": axis("x"), "x2": {"field": "x2"}, "y": axis("y"), "y2": {"field": "y2"},
                 "fill": {"field": "value", "type": "quantitative",
                          "title": _("D(x) = P(real)") if probability else _("critic score"),
                          # D's probability on a fixed 0..1 scale; a critic's score has no
                          # fixed range, so its colours span this frame's lowest to highest.
                          "scale": {"range": [c for _, c in FIELD_COLORS], "interpolate": "rgb",
                                    **({"domain": [0, 1]} if probability else {})},
                          "legend": {"orient": "right", "direction": "vertical",
                                     "gradientLength": MAP_SIZE // 3} if side_legends else
                                    {"orient": "bottom", "direction": "horizontal",
                                     "gradientLength": MAP_SIZE // 2,
                                     "titleOrient": "left", "titleAnchor": "middle",
                                     "offset": 8}}}},
            # Every mark is clipped to the map: a point thrown far outside would otherwise
            # grow the chart ("pad" makes room for it) and push the page's layout around.
            {"data": {"name": "arrows"}, "mark": {"type": "rule", "strokeWidth": 1.2,
                                                  "opacity": 0.75, "clip": True},
             "encoding": {"x": axis("x"), "y": axis("y"), "x2": {"field": "x2"},
                          "y2": {"field": "y2"}, "color": color}},
            {"data": {"name": "arrows"},
             "mark": {"type": "point", "shape": "triangle-up", "filled": True, "size": 22,
                      "opacity": 0.75, "clip": True},
             "encoding": {"x": {**axis("x2"), "title": None}, "y": {**axis("y2"), "title": None},
                          "angle": {"field": "angle", "type": "quantitative", "scale": None},
                          "color": color}},
            # The points last, over the arrows: a collapsed pile of orange points stays visible.
            {"data": {"name": "points"},
             "mark": {"type": "circle", "size": 24, "opacity": 0.85, "stroke": "white",
                      "strokeWidth": 0.4, "clip": True},
             "encoding": {"x": axis("x"), "y": axis("y"), "color": color}},
        ],
        # Font sizes here, not in the encodings, so that presenter view can enlarge them.
        "config": {"axis": {"labelFontSize": 13, "grid": False}, "view": {"stroke": None},
                   "legend": {"labelFontSize": 15, "titleFontSize": 13}},
    }


def loss_chart(model: pg.Playground) -> dict:
    """The losses per step (and the Wasserstein estimate for the WGANs), downsampled."""
    history = model.history.arrays()
    series = {"d_loss": _("{critic} loss").format(critic=model.info.critic_name),
              "g_loss": _("generator loss")}
    if "wasserstein" in model.metric_names:
        series["wasserstein"] = _("Wasserstein estimate")
    frames = []
    for name, label in series.items():
        steps, values = charts.downsample(history["step"], history[name])
        keep = np.isfinite(values)            # a "Train D only" step has no generator loss
        frames.append(pd.DataFrame({"step": steps[keep], "value": values[keep],
                                    "series": label}))
    return {
        "height": 300, "title": _("Losses"),
        "datasets": {"history": pd.concat(frames)},
        "data": {"name": "history"},
        "mark": {"type": "line", "strokeWidth": 2},
        "encoding": {
            "x": {"field": "step", "type": "quantitative", "title": _("step"),
                  "axis": {"format": ",d", "tickMinStep": 1}},
            "y": {"field": "value", "type": "quantitative", "title": _("loss"),
                  "scale": {"zero": False}},
            "color": {"field": "series", "type": "nominal", "title": None,
                      "scale": {"domain": list(series.values()),
                                "range": [charts.COLORS[n] for n in series]},
                      "legend": {"orient": "top", "columns": 2}},
        },
        "config": {"title": {"fontSize": 16}, "axis": {"labelFontSize": 12},
                   "legend": {"labelFontSize": 13}},
    }


def live(speed: int, arrows: bool) -> None:
    """One frame: a burst of training while playing, then the picture and the numbers."""
    model = st.session_state[MODEL][1]
    if st.session_state.get(PLAYING):
        model.step(speed)
    row = st.container(horizontal=True, gap="large")       # wraps on narrow screens
    size = presenter.PLAYGROUND_MAP_SIZE
    row.vega_lite_chart(presenter.vega(field_chart(model, arrows, presenter.active()),
                                       width=size, height=size),
                        key="pg-field", width="content")
    with row.container(width=presenter.PLAYGROUND_SIDE_WIDTH if presenter.active()
                       else SIDE_WIDTH):
        numbers = st.columns(2)
        numbers[0].metric(_("Step"), format_number(model.step_count))
        coverage = model.mode_coverage()
        if coverage is not None:
            numbers[1].metric(_("Modes covered"), _("{covered} of {total}").format(
                                  covered=coverage[0], total=coverage[1]),
                              help=_("Modes with at least one of the {count} generated points "
                                     "within 3 standard deviations of their centre. A "
                                     "collapsed GAN covers 1 or 2.").format(
                                  count=format_number(pg.SAMPLE_COUNT)))
        else:
            numbers[1].metric(_("Real points"), format_number(len(model.points)))
        if len(model.history):
            # "fit-x": the height is the plot's own, under the title and the legend.
            st.vega_lite_chart(presenter.vega(loss_chart(model), autosize={"type": "fit-x"},
                                              height=presenter.PLAYGROUND_LOSS_HEIGHT),
                               key="pg-losses", width="stretch")
        else:
            st.info(_("Press **Play** or **One full step**: the loss curves start with the "
                      "first step."))
        st.caption(_("The background is the discriminator's opinion of every point: blue "
                     "where it says *real*, orange where it says *fake*.") + " "
                   + ("" if model.info.outputs_probability else
                      _("A critic's score is not a probability: only differences matter.")
                      + " ")
                   + _("The arrows show where the generator is about to move its points."))


# --- the page ---------------------------------------------------------------------------------

title = st.container()
intro, demo = st.columns([4, 1.2], vertical_alignment="center")
# In presenter view the title shares its line with the demo button, and the text is left out.
(intro if presenter.active() else title).title(_("2D playground"))
if not presenter.active():
    intro.markdown(_(
        "A GAN learning a cloud of points instead of digits, so you can see **everything**: the "
        "real points (blue), the generated ones (orange), and the discriminator's verdict on "
        "every spot of the plane (the background). **Try this:** pick the ring and the GAN, set "
        "**G updates per step** to 3 and press **Play**: the orange points pile onto one mode, "
        "then jump to another, rarely covering more than two at once. That is **mode "
        "collapse**: the generator outruns the discriminator (with 1 G update per step this GAN "
        "learns all eight). Now switch to **WGAN-GP**, whose critic trains 5 times per step, "
        "and press Play again."))
demo.button(_("Show me mode collapse"), key="pg-demo", on_click=mode_collapse_demo,
            icon=":material/bolt:", width="stretch",
            help=_("Ring of 8 Gaussians, GAN, 3 generator updates per step, playing."))

# The buttons come before the settings (filled once the model is built): Play is a few Tab
# presses from the skip link, not behind the ten stops of the settings.
buttons = st.container(horizontal=True, vertical_alignment="bottom")   # wraps when narrow
with presenter.tucked_away(_("Settings and data")):
    choice, algorithm, settings = settings_form()
    data = real_data(choice)
if data is None:
    st.info(_("Upload a file of points above to start.") if choice == "upload" else
            _("Select points on the canvas above, then press **Use the selected points**."))
    st.stop()
try:
    model = playground(algorithm, data, settings)
except GanlibError as exc:
    st.error(str(exc))
    st.stop()
speed, arrows = controls(buttons, algorithm)
st.fragment(live, run_every=FRAME_S if st.session_state.get(PLAYING) else None)(speed, arrows)
