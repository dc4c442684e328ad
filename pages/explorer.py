"""Latent explorer: one generated digit, the vector z behind it, and sliders that move z.

The digit sits in a column that stays on screen (sticky) while the sliders beside it
scroll, so a class sees what each slider does. The sliders that change the digit most in a
way people can name are "more like 3" (ganlib.directions: found with the shipped
classifier); then the generator's principal directions, then single numbers of z.

The vector lives in `st.session_state[STATE]`, not in the sliders: only a few of its numbers
have sliders at a time, and Streamlit forgets the state of widgets it does not draw (another
page, another group of dimensions). Every widget is set from that state before it is drawn,
and writes back to it in its on_change callback. The state is mirrored into the URL
(?seed=&z=&pc=&like=, and ?model= by the generator menu), so a copied address reopens the
same digit, pixel for pixel.

Drawn in the browser (ui/browser_generator.py, static/gan/explorer.js) the pictures and
sliders are parts of an element that runs the generator itself and redraws while a slider
moves; it reports the state when the moving stops, and only a small fragment reruns to keep it
(and the URL). Where the browser cannot, the server draws everything as before.
"""

import functools
import secrets

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ganlib import palette
from ganlib.directions import ClassDirections, fit_class_directions
from ganlib.errors import GanlibError
from ganlib.images import gif_bytes, image_grid, png_bytes
from ganlib.latent import (edits_text, latent_vectors, lerp, neighbour_noise, neighbours,
                           parse_edits, parse_seed, principal_directions)
from ganlib.metrics import classifier_for
from ganlib.sampling import Sampler
from ui import links
from ui.browser_generator import (BrowserModels, browser_models, fell_back, floats, mount,
                                  report)
from ui.generator_picker import pick_generator
from ui.i18n import _, format_number
from ui.pages import require_entry_point
from ui.seed_picker import seed_thumbnails

require_entry_point()

# {"seed", "z": (latent_dim,) float32, "shift": (DIRECTIONS,) float32, "like": (CLASSES,)
#  float32, "first": group, "radius", "into": class, "rev": changed by the server this often}
STATE = "explorer"
LIMIT = 3.0            # sliders span ±3: each number of z ~ N(0, 1) lies there 99.7% of the time
PER_GROUP = 8          # numbers of z with a slider at a time
DIRECTIONS = 5         # principal directions with a slider
CLASSES = 10           # "more like k" sliders (the shipped classifiers know 10 classes)
IMAGE_SCALE = 10       # 28 px -> 280 px, every pixel a crisp square
NEIGHBOURS = 16        # the digit itself and 15 vectors near it
NEIGHBOUR_SCALE = 4
WALK_FRAMES = 9        # "turn this 3 into an 8": frames from here to there
WALK_LENGTH = 6.0      # how far the walk goes: twice a "more like" slider's full travel
WALK_SCALE = 4         # 112-px frames, the strip drawn as wide as its column
WALK_GIF_SCALE = 10    # 280-px animation
HIGHLIGHT, PLAIN = palette.ORANGE, palette.SLATE   # bars with a slider now / the others
# What the URL keeps, besides ?model=: the seed, and the changes made to its vector.
PARAMS = {"seed": "seed", "z": "z", "shift": "pc", "like": "like"}
# Keeps the digit's column on screen while the page scrolls: the column is sticky below
# Streamlit's header, and only as tall as its content (flex-start), so it can move. The
# digit fills its column (wider on a large screen) with crisp square pixels.
STICKY_CSS = """<style>
div[data-testid="stColumn"]:has(.st-key-explorer-digit) {
  position: sticky; top: 3.75rem; align-self: flex-start; z-index: 1;
}
.st-key-explorer-digit img, .st-key-explorer-digit canvas { image-rendering: pixelated; }
</style>"""


# --- state, URL and callbacks (callbacks run before the page redraws) ----------------------

def fresh_state(seed: int, latent_dim: int) -> dict:
    # "rev" tells a browser's report of its sliders (made on an older state) from a current
    # one: it changes with every change the server makes (a seed, a reset, another model).
    return {"seed": seed, "z": latent_vectors(seed, 1, latent_dim)[0],
            "shift": np.zeros(DIRECTIONS, np.float32), "like": np.zeros(CLASSES, np.float32),
            "first": 0, "radius": 0.5, "into": 8, "rev": secrets.randbelow(2**31)}


def state_from_url(latent_dim: int) -> dict:
    """The state a shared link describes (seed 0 and no changes where it says nothing)."""
    s = fresh_state(parse_seed(links.text(PARAMS["seed"]) or "0"), latent_dim)
    for name in ("z", "shift", "like"):
        s[name] = parse_edits(links.text(PARAMS[name]) or "", s[name], name=PARAMS[name])
    return s


def explorer_state(latent_dim: int) -> dict:
    """This tab's explorer state: on the first visit the link's (or seed 0's), restarted
    (same seed) for a generator with another latent size."""
    s = st.session_state.get(STATE)
    if s is None:
        try:
            s = state_from_url(latent_dim)
        except GanlibError as exc:
            links.refuse(str(exc))                  # seed 0, unchanged
            s = fresh_state(0, latent_dim)
    elif len(s["z"]) != latent_dim:
        s = fresh_state(s["seed"], latent_dim)
    st.session_state[STATE] = s
    return s


def share_in_url(s: dict) -> None:
    """Write the seed and every change to its vector into the URL (the link to this digit)."""
    own = latent_vectors(s["seed"], 1, len(s["z"]))[0]
    texts = {"seed": str(s["seed"]), "z": edits_text(s["z"], own),
             "shift": edits_text(s["shift"], np.zeros_like(s["shift"])),
             "like": edits_text(s["like"], np.zeros_like(s["like"]))}
    for name, text in texts.items():
        if text:
            st.query_params[PARAMS[name]] = text
        else:
            st.query_params.pop(PARAMS[name], None)


def synced(key: str, value) -> str:
    """`key`, after making its widget show `value` (the state is the truth, see above)."""
    st.session_state[key] = value
    return key


def remember(name: str, key: str, index: int | None = None) -> None:
    """Copy widget `key`'s new value into the state's `name` (or `name`[index])."""
    s = st.session_state[STATE]
    if index is None:
        s[name] = st.session_state[key]
    else:
        s[name][index] = st.session_state[key]


def choose_seed(seed: int | None) -> None:
    """Back to `seed`'s own vector, every direction slider at 0; None picks a random seed."""
    s = st.session_state[STATE]
    s["seed"] = secrets.randbelow(100_000) if seed is None else int(seed)
    s["z"] = latent_vectors(s["seed"], 1, len(s["z"]))[0]
    s["shift"] = np.zeros(DIRECTIONS, np.float32)
    s["like"] = np.zeros(CLASSES, np.float32)
    s["rev"] += 1


def walk_to_here() -> None:
    """Make the walk's last frame the digit: its vector becomes z, the direction sliders 0."""
    s = st.session_state[STATE]
    s["z"] = s.pop("walk_end")
    s["like"] = np.zeros(CLASSES, np.float32)
    s["shift"] = np.zeros(DIRECTIONS, np.float32)
    s["rev"] += 1


# --- directions (cached per generator and step) ----------------------------------------------

@st.cache_data(max_entries=16, show_spinner=False)
def directions_of(_sampler: Sampler, identity: int, step: int) -> np.ndarray:
    """(k, latent_dim): the principal directions of this generator at this step.

    Cached because the SVD behind them can take seconds when TensorFlow's threads compete
    for a small CPU; (identity, step) tells generators apart. (0, latent_dim) when the
    generator does not start with a Dense layer.
    """
    try:
        kernel = _sampler.first_dense_kernel()                      # (latent_dim, units)
    except GanlibError:
        return np.zeros((0, _sampler.latent_dim), np.float32)
    return principal_directions(kernel, k=min(DIRECTIONS, *kernel.shape))


@st.cache_data(max_entries=16, show_spinner="Asking the classifier which way each digit lies…")
def class_directions_of(_sampler: Sampler, identity: int, step: int) -> ClassDirections | None:
    """The "more like k" directions of this generator at this step (a fit over 2,000
    samples: about a second), or None when no shipped classifier knows its data."""
    classifier = classifier_for(_sampler.config.dataset)
    if classifier is None or len(classifier.class_names) != CLASSES:
        return None
    return fit_class_directions(_sampler.generate, classifier.probabilities,
                                _sampler.latent_dim, classifier.class_names)


def vector_figure(z: np.ndarray, with_slider: range) -> go.Figure:
    """z as bars, one per dimension; those that have a slider now in orange."""
    colors = [HIGHLIGHT if i in with_slider else PLAIN for i in range(len(z))]
    figure = go.Figure(go.Bar(x=np.arange(len(z)), y=z.astype(np.float32), marker_color=colors,
                              hovertemplate="z[%{x}] = %{y:.2f}<extra></extra>"))
    figure.update_layout(height=190, margin=dict(l=10, r=10, t=36, b=10), font=dict(size=14),
                         title=dict(text=_("z, the latent vector behind the digit"), x=0),
                         bargap=0.15, uirevision="explorer-z")
    figure.update_xaxes(showgrid=False)
    figure.update_yaxes(range=[-4, 4], zerolinecolor=palette.LIGHT_SLATE)
    return figure


def sliders(labels: list[str], state_name: str, key: str, first: int = 0) -> None:
    """±3 sliders, two per row, for the state's `state_name`[first], [first + 1], ...
    (widget keys f"{key}{index}")."""
    s = st.session_state[STATE]
    places = st.columns(2)
    for n, label in enumerate(labels):
        i = first + n
        shown = float(np.clip(s[state_name][i], -LIMIT, LIMIT))  # a rare |z[i]| > 3: at the end
        places[n % 2].slider(label, -LIMIT, LIMIT, step=0.05, format="%.2f",
                             key=synced(f"{key}{i}", shown),
                             on_change=remember, args=(state_name, f"{key}{i}", i))


# --- drawn in the browser (ui/browser_generator.py, static/gan/explorer.js) ---------------

def take_sync(key: str) -> None:
    """Adopt the state the browser reports when a drag ends, if it is one of this state's
    (not from before a seed or reset the server made since) and sound; else ignore it."""
    s = st.session_state.get(STATE)
    sync = report(key, "sync")
    if s is None or not isinstance(sync, dict) or sync.get("rev") != s["rev"]:
        return
    try:
        z, shift, like = (np.asarray(sync[name], np.float64) for name in ("z", "shift", "like"))
        first, radius, into = int(sync["first"]), float(sync["radius"]), int(sync["into"])
    except (KeyError, TypeError, ValueError):
        return
    if (z.shape != s["z"].shape or shift.shape != (DIRECTIONS,) or like.shape != (CLASSES,)
            or not all(np.isfinite(a).all() and np.abs(a).max(initial=0) <= 1e3
                       for a in (z, shift, like))
            or first not in range(0, len(z), PER_GROUP) or not 0.05 <= radius <= 2.0
            or into not in range(CLASSES)):
        return
    s.update(z=z.astype(np.float32), shift=np.clip(shift, -LIMIT, LIMIT).astype(np.float32),
             like=np.clip(like, -LIMIT, LIMIT).astype(np.float32), first=first, radius=radius,
             into=into)


def browser_text(names: tuple[str, ...]) -> dict[str, str]:
    """The strings the browser's explorer shows, in this session's language."""
    return {
        "seed": _("Seed {seed}"), "moved": _(", moved by the sliders"),
        "reads": _(" · the classifier reads: {digit}"),
        "digit_alt": _("The digit the generator draws from z: {caption}"),
        "z_title": _("z, the latent vector behind the digit"),
        "more_like": _("More like {digit}"), "direction": _("Direction {n}"),
        "walk_title": _("From this {source} to {target}: a walk through z"),
        "into": _("Into"),
        "into_help": _("The walk goes from this digit along the direction that turns the "
                       "classifier's verdict from one class into the other."),
        "walk_alt": _("A walk of {count} digits from {source} to {target}"),
        "beliefs": _("The classifier's belief in {target}, frame by frame: {beliefs}"),
        "back_and_forth": _("Back and forth"),
        "animation_alt": _("Animation of the walk from {source} to {target} and back"),
        "keep": _("Explore the last frame"),
        "keep_help": _("Make the walk's last digit the one the sliders move."),
        "sliders_for": _("Sliders for"),
        "group_help": _("z has {size} numbers; {count} of them have sliders at a time "
                        "(orange in the chart)."),
        "radius": _("Radius"),
        "radius_help": _("Each neighbour is z plus random noise of this standard deviation."),
        "neighbours_caption": _("Top left: the digit beside. The others: z + radius × random "
                                "noise. A smooth generator draws similar digits near each "
                                "other."),
        "neighbours_alt": _("{count} neighbours of the digit: z plus random noise of standard "
                            "deviation {radius}"),
    }


def walk_picture(sampler: Sampler, classes: ClassDirections, s: dict,
                 directions: np.ndarray, toward: np.ndarray) -> np.ndarray:
    """The walk's frames (frames, 28, 28, 1) from the state's digit, as the server draws them:
    for a download, made when it is asked for."""
    z = s["z"] + s["shift"][:len(directions)] @ directions + s["like"][:len(toward)] @ toward
    classifier = classifier_for(sampler.config.dataset)
    verdict = int(np.argmax(classifier.probabilities(sampler.generate(z))[0]))
    into = s["into"] if s["into"] != verdict else (verdict + 1) % CLASSES
    return sampler.generate(lerp(z, z + WALK_LENGTH * classes.between(verdict, into),
                                 WALK_FRAMES))


def draw_in_browser(models: BrowserModels, s: dict, directions: np.ndarray,
                    classes: ClassDirections | None, toward: np.ndarray) -> None:
    """The explorer's pictures and sliders as parts of one element in the browser; the
    seed controls and the downloads stay Streamlit's."""
    own = latent_vectors(s["seed"], 1, len(s["z"]))[0]
    noise = neighbour_noise(s["seed"], NEIGHBOURS, len(own))
    data = {"generator": models.generator, "classifier": models.classifier, "rev": s["rev"],
            "state": {"seed": s["seed"], "z": s["z"].tolist(), "shift": s["shift"].tolist(),
                      "like": s["like"].tolist(), "first": s["first"], "radius": s["radius"],
                      "into": s["into"]},
            "seed_z": floats(own), "noise": floats(noise, "<f8"),
            "directions": floats(directions),
            "class_weights": floats(classes.weights) if classes is not None else None,
            "class_names": list(classes.class_names) if classes is not None else [],
            "settings": {"limit": LIMIT, "per_group": PER_GROUP, "image_scale": IMAGE_SCALE,
                         "neighbour_scale": NEIGHBOUR_SCALE, "walk_scale": WALK_SCALE,
                         "gif_scale": WALK_GIF_SCALE, "walk_frames": WALK_FRAMES,
                         "walk_length": WALK_LENGTH, "walk_fps": 6},
            "text": browser_text(classes.class_names if classes is not None else ())}

    @st.fragment
    def digit() -> None:
        # A drag's end reruns only this: the state and the URL change, nothing is drawn.
        if fell_back():
            st.rerun()
        share_in_url(s)
        mount("explorer.js", "digit", "explorer-browser-digit", data,
              on_sync=lambda: take_sync("explorer-browser-digit"))

    picture, controls = st.columns([1, 1.6], gap="large")
    with picture, st.container(key="explorer-digit"):
        digit()
    with controls:
        seed_controls(s)
        if classes is not None:
            like_heading()
            mount("explorer.js", "like", "explorer-browser-like")
            mount("explorer.js", "walk", "explorer-browser-walk")
            gif, png = st.columns(2)
            frames = functools.partial(walk_picture, sampler, classes, s, directions, toward)
            name = f"{sampler.source}-seed-{s['seed']}-walk"
            gif.download_button(
                "GIF", lambda: gif_bytes([image_grid(f[None], scale=WALK_GIF_SCALE)
                                          for f in frames()], fps=6, boomerang=True),
                f"{name}.gif", "image/gif", key="explorer-walk-gif", on_click="ignore",
                icon=":material/download:", width="stretch")
            png.download_button(
                _("PNG strip"),
                lambda: png_bytes(image_grid(frames(), cols=WALK_FRAMES, scale=WALK_SCALE)),
                f"{name}.png", "image/png", key="explorer-walk-png", on_click="ignore",
                icon=":material/download:", width="stretch")
        else:
            no_classifier_note()
        directions_heading()
        mount("explorer.js", "directions", "explorer-browser-directions")
        st.subheader(_("Single numbers of z"), divider="gray")
        mount("explorer.js", "numbers", "explorer-browser-numbers")
        neighbours_heading()
        mount("explorer.js", "neighbours", "explorer-browser-neighbours")


# --- drawn on the server (the fallback) ----------------------------------------------------

def draw_on_server(s: dict, directions: np.ndarray, classes: ClassDirections | None,
                   toward: np.ndarray) -> None:
    """Every picture drawn here, every slider a Streamlit slider: a move redraws the page."""
    z = s["z"] + s["shift"][:len(directions)] @ directions + s["like"][:len(toward)] @ toward
    moved = not np.array_equal(z, latent_vectors(s["seed"], 1, len(z))[0])
    group = range(s["first"], min(s["first"] + PER_GROUP, len(z)))
    classifier = classifier_for(sampler.config.dataset) if classes is not None else None

    # What the classifier reads in the digit decides the walk; then one call draws the rest.
    cloud = neighbours(z, NEIGHBOURS, s["radius"], s["seed"])            # row 0 is z itself
    verdict = None
    if classifier is not None:
        verdict = int(np.argmax(classifier.probabilities(sampler.generate(z))[0]))
        into = s["into"] if s["into"] != verdict else (verdict + 1) % CLASSES
        walk = lerp(z, z + WALK_LENGTH * classes.between(verdict, into), WALK_FRAMES)
    else:
        walk = np.zeros((0, len(z)), np.float32)
    images = sampler.generate(np.concatenate([cloud, walk]))
    walk_images = images[NEIGHBOURS:]

    picture, controls = st.columns([1, 1.6], gap="large")
    with picture, st.container(key="explorer-digit"):
        caption = _("Seed {seed}").format(seed=s["seed"]) + (
            _(", moved by the sliders") if moved else "")
        if verdict is not None:
            caption += _(" · the classifier reads: {digit}").format(
                digit=classes.class_names[verdict])
        st.image(image_grid(images[:1], scale=IMAGE_SCALE), output_format="PNG",
                 caption=caption, width="stretch",
                 alt=_("The digit the generator draws from z: {caption}").format(
                     caption=caption))
        # No Plotly tool bar (zoom, pan, ...: nothing to zoom in a bar per number): its seven
        # Tab stops came before "Pick a digit" for a keyboard user.
        st.plotly_chart(vector_figure(z, group), key="explorer-z-chart", width="stretch",
                        config={"displayModeBar": False})

    with controls:
        seed_controls(s)
        if classes is not None:
            like_heading()
            sliders([_("More like {digit}").format(digit=name) for name in classes.class_names],
                    "like", "explorer-like")

            names = classes.class_names
            st.subheader(_("From this {source} to {target}: a walk through z").format(
                source=names[verdict], target=names[into]), divider="gray")
            st.segmented_control(_("Into"), range(CLASSES), format_func=names.__getitem__,
                                 required=True,
                                 key=synced("explorer-into", into), on_change=remember,
                                 args=("into", "explorer-into"),
                                 help=_("The walk goes from this digit along the direction "
                                        "that turns the classifier's verdict from one class "
                                        "into the other."))
            belief = classifier.probabilities(walk_images)[:, into]      # (frames,)
            strip = image_grid(walk_images, cols=WALK_FRAMES, scale=WALK_SCALE)
            gif = gif_bytes([image_grid(f[None], scale=WALK_GIF_SCALE) for f in walk_images],
                            fps=6, boomerang=True)
            st.image(strip, output_format="PNG", width="stretch",
                     alt=_("A walk of {count} digits from {source} to {target}").format(
                         count=WALK_FRAMES, source=names[verdict], target=names[into]),
                     caption=_(
                "The classifier's belief in {target}, frame by frame: {beliefs}").format(
                target=names[into], beliefs=" · ".join(f"{p:.0%}" for p in belief)))
            animation, buttons = st.columns([1, 1.4], vertical_alignment="center")
            animation.image(gif, caption=_("Back and forth"), width="stretch",
                            alt=_("Animation of the walk from {source} to {target} and "
                                  "back").format(source=names[verdict], target=names[into]))
            name = f"{sampler.source}-seed-{s['seed']}-class-{verdict}-to-{into}"
            buttons.download_button("GIF", gif, f"{name}.gif", "image/gif",
                                    key="explorer-walk-gif", on_click="ignore",
                                    icon=":material/download:", width="stretch")
            buttons.download_button(_("PNG strip"), png_bytes(strip), f"{name}.png",
                                    "image/png", key="explorer-walk-png", on_click="ignore",
                                    icon=":material/download:", width="stretch")
            s["walk_end"] = walk[-1]
            buttons.button(_("Explore the last frame"), key="explorer-walk-keep",
                           on_click=walk_to_here, icon=":material/arrow_upward:",
                           width="stretch",
                           help=_("Make the walk's last digit the one the sliders move."))
        else:
            no_classifier_note()

        directions_heading()
        sliders([_("Direction {n}").format(n=k + 1) for k in range(len(directions))], "shift",
                "explorer-direction")

        st.subheader(_("Single numbers of z"), divider="gray")
        st.selectbox(_("Sliders for"), range(0, len(z), PER_GROUP),
                     format_func=lambda a: f"z[{a}] … z[{min(a + PER_GROUP, len(z)) - 1}]",
                     key=synced("explorer-group", s["first"]),
                     on_change=remember, args=("first", "explorer-group"),
                     help=_("z has {size} numbers; {count} of them have sliders at a time "
                            "(orange in the chart).").format(size=len(z), count=PER_GROUP))
        sliders([f"z[{i}]" for i in group], "z", "explorer-z", first=group.start)

        neighbours_heading()
        st.slider(_("Radius"), 0.05, 2.0, step=0.05, key=synced("explorer-radius", s["radius"]),
                  on_change=remember, args=("radius", "explorer-radius"),
                  help=_("Each neighbour is z plus random noise of this standard deviation."))
        st.image(image_grid(images[:NEIGHBOURS], cols=NEIGHBOURS // 2, scale=NEIGHBOUR_SCALE),
                 output_format="PNG", width="stretch",
                 caption=_("Top left: the digit beside. The others: z + radius × random "
                           "noise. A smooth generator draws similar digits near each other."),
                 alt=_("{count} neighbours of the digit: z plus random noise of standard "
                       "deviation {radius}").format(count=NEIGHBOURS - 1,
                                                    radius=format_number(s["radius"], 2)))


# --- what both drawings share --------------------------------------------------------------

def seed_controls(s: dict) -> None:
    st.markdown(_("**Pick a digit**"))
    seed_thumbnails(sampler, "explorer-thumbnails", choose_seed)
    seed, shuffle, reset = st.columns([2, 1, 1], vertical_alignment="bottom")
    seed.number_input(_("Seed"), min_value=0, max_value=2**31 - 1, step=1,
                      key=synced("explorer-seed", s["seed"]),
                      on_change=lambda: choose_seed(st.session_state["explorer-seed"]),
                      help=_("The same seed gives the same z on every page and for every "
                             "model with the same latent size."))
    shuffle.button(_("Random"), key="explorer-random", icon=":material/casino:",
                   on_click=choose_seed, args=(None,), width="stretch")
    reset.button(_("Reset"), key="explorer-reset", icon=":material/restart_alt:",
                 on_click=choose_seed, args=(s["seed"],), width="stretch",
                 help=_("Back to the seed's own vector: every slider to where it started."))


def no_classifier_note() -> None:
    st.caption(_("No shipped classifier knows this model's images, so there are no "
                 "\"more like\" sliders: the directions below still work."))


def directions_heading() -> None:
    st.subheader(_("Directions that change the digit most"), divider="gray")
    st.caption(_("The principal directions of the generator's first layer, mapped back to "
                 "latent space: moving z along direction 1 changes that layer's output more "
                 "than any other step of the same length. Each slider adds a × direction to "
                 "z."))


def like_heading() -> None:
    st.subheader(_("More like a digit"), divider="gray")
    st.caption(_("Each slider moves z along the direction in which the classifier's belief in "
                 "that digit grows fastest (fitted over 2,000 samples of this generator)."))


def neighbours_heading() -> None:
    st.subheader(_("Neighbours: how far does a small change of z go?"), divider="gray")


# --- the page ------------------------------------------------------------------------------

st.title(_("Latent explorer"))
st.markdown(_("A generator turns a vector **z** of random numbers into a digit. Pick a seed to "
              "get its z, then move it: towards a digit, along the directions that change the "
              "digit most, or one number at a time."))
sampler = pick_generator("explorer-generator")
if sampler is None:
    st.stop()
state = explorer_state(sampler.latent_dim)
principal = directions_of(sampler, id(sampler), sampler.step)      # (k, latent_dim)
class_directions = class_directions_of(sampler, id(sampler), sampler.step)
toward_classes = (np.stack([class_directions.toward(k) for k in range(CLASSES)])
                  if class_directions is not None
                  else np.zeros((0, sampler.latent_dim), np.float32))   # (10 or 0, latent_dim)
share_in_url(state)
st.html(STICKY_CSS)
browser = browser_models(sampler, with_classifier=class_directions is not None)
if browser is not None:
    draw_in_browser(browser, state, principal, class_directions, toward_classes)
else:
    draw_on_server(state, principal, class_directions, toward_classes)
