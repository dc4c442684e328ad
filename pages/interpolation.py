"""Interpolation: morph one generated digit into another, along a straight line and a great circle.

The stops are the latent vectors of seeds (typed, or picked by clicking thumbnails), so the
first and last frames are exactly the digits those seeds give on every other page. The
settings live in `st.session_state[STATE]` (Streamlit forgets the widgets of a page it does
not draw) and in the URL (?seeds=&method=&steps=&size=), so a copied address reopens the
same animation; on presenter view (?present=1) the animations start projector-sized.

Drawn in the browser (ui/browser_generator.py, static/gan/interpolation.js) the animations
play there, with a scrubber over the path that redraws the frame at t while it moves; the
server only makes a GIF or PNG when a download asks for it. Where the browser cannot, the
server draws the GIFs and strips as before.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ganlib import palette
from ganlib.errors import ConfigError
from ganlib.images import gif_bytes, image_grid, png_bytes
from ganlib.latent import interpolation_path, latent_vectors, parse_seeds
from ui import links, presenter
from ui.browser_generator import BrowserModels, browser_models, floats, mount
from ui.generator_picker import pick_generator
from ui.i18n import _, format_number, number_separators
from ui.pages import require_entry_point
from ui.seed_picker import seed_thumbnails

require_entry_point()

STATE = "interpolation"       # {"seeds": text, "method", "steps", "size"}
MAX_ENDPOINTS = 8
STRIP_SCALE = 3               # one row of frames, 84 px each
GIF_FPS = 12
METHODS = (("linear", _("Linear (straight line)"), palette.SLATE),
           ("spherical", _("Spherical (great circle)"), palette.ORANGE))
SHOWN = {"both": _("Both"), "linear": _("Linear"), "spherical": _("Spherical")}
# Animation sizes: the GIF's side in pixels is 28 x scale.
SIZES = {"small": (_("Small"), 8), "medium": (_("Medium"), 12),
         "projector": (_("Projector"), 20)}
STEPS = range(4, 33)          # frames per segment, both ends included
DEFAULTS = {"seeds": "3, 17, 42", "method": "both", "steps": "10"}
PARAMS = ("seeds", "method", "steps", "size")


def settings() -> dict:
    """This tab's settings: on the first visit the link's (a value it cannot use is
    reported and replaced by the default), afterwards what the user chose."""
    s = st.session_state.get(STATE)
    if s is None:
        defaults = {**DEFAULTS, "size": "projector" if presenter.active() else "medium"}
        parsers = {"seeds": lambda text: ", ".join(map(str, parse_seeds(text, MAX_ENDPOINTS))),
                   "method": links.one_of("method", SHOWN),
                   "steps": links.one_of("steps", [str(n) for n in STEPS]),
                   "size": links.one_of("size", SIZES)}
        s = {name: links.read(name, parsers[name], defaults[name]) for name in PARAMS}
        st.session_state[STATE] = s
    for name in PARAMS:
        st.query_params[name] = s[name]
    return s


def synced(key: str, value) -> str:
    """`key`, after making its widget show `value` (the state is the truth)."""
    st.session_state[key] = value
    return key


def remember(name: str, key: str) -> None:
    st.session_state[STATE][name] = str(st.session_state[key])


def add_seed(seed: int) -> None:
    """A clicked thumbnail becomes the path's next stop (the last one, when it is full)."""
    s = st.session_state[STATE]
    try:
        seeds = parse_seeds(s["seeds"])
    except ConfigError:
        seeds = [n for n in s["seeds"].replace(",", " ").split() if n.isdigit()]
    s["seeds"] = ", ".join(map(str, [*seeds[:MAX_ENDPOINTS - 1], seed]))


def seed_vectors(seeds, latent_dim: int) -> np.ndarray:
    """(len(seeds), latent_dim): row i is seed i's vector, the same on every page."""
    return np.concatenate([latent_vectors(seed, 1, latent_dim) for seed in seeds]
                          or [np.zeros((0, latent_dim), np.float32)])


def norm_figure(paths: dict[str, np.ndarray], latent_dim: int) -> go.Figure:
    """|z| along each path, and the typical |z| of a Gaussian vector, sqrt(latent_dim)."""
    figure = go.Figure()
    for method, label, color in METHODS:
        norms = np.linalg.norm(paths[method], axis=1).astype(np.float32)   # (frames,)
        figure.add_trace(go.Scatter(x=np.arange(len(norms)), y=norms, name=label,
                                    mode="lines+markers", line=dict(color=color, width=3)))
    typical = np.full(2, np.sqrt(latent_dim), np.float32)
    figure.add_trace(go.Scatter(x=[0, len(norms) - 1], y=typical, mode="lines",
                                name=_("√d = {length}: the typical length of z").format(
                                    length=format_number(typical[0], 1)),
                                line=dict(dash="dash", color=palette.BLUE, width=2)))
    figure.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10), font=dict(size=14),
                         title=dict(text=_("Length of z along the path"), x=0),
                         legend=dict(orientation="h", yanchor="top", y=-0.2, x=0),
                         hovermode="x unified", uirevision="interpolation-norm",
                         separators=number_separators())
    figure.update_xaxes(title_text=_("frame"), tickfont_size=16)
    figure.update_yaxes(title_text=_("length of z"), rangemode="tozero", tickfont_size=16)
    return figure


def animation_gif(frames: np.ndarray, scale: int) -> bytes:
    return gif_bytes([image_grid(f[None], scale=scale) for f in frames], fps=GIF_FPS,
                     boomerang=True)


def file_name(method: str) -> str:
    return f"{sampler.source}-seeds-{'-'.join(map(str, seeds))}-{method}"


def draw_in_browser(models: BrowserModels) -> None:
    """The animations, a scrubber over the path and the strips, drawn by the browser; the
    downloads are made by the server when they are asked for."""
    mount("interpolation.js", "animations", "interpolation-browser-animations", {
        "generator": models.generator, "stops": floats(seed_vectors(seeds, d)),
        "latent_dim": d, "steps": steps, "scale": gif_scale, "strip_scale": STRIP_SCALE,
        "fps": GIF_FPS, "methods": [{"id": m, "label": label} for m, label, _c in methods],
        "text": {"stops": stops, "scrub": _("Where on the path: t"),
                 "scrub_help": _("0 is the first stop, 1 the last; moving it pauses the "
                                 "animation and draws the digit at that point of the path."),
                 "play": _("Play"), "pause": _("Pause"),
                 "caption": _("{stops}, back and forth"),
                 "frame_caption": _("t = {t}"),
                 "animation_alt": _("{method} animation of the generator's digits along the "
                                    "path {stops}, back and forth"),
                 "frame_alt": _("{method}: the generator's digit at t = {t} on the path "
                                "{stops}"),
                 "strip_alt": _("{method}: every frame of the path {stops}, left to right")}})
    for (method, _label, _color), column in zip(methods, st.columns(len(methods))):
        gif_button, png_button = column.columns(2)
        gif_button.download_button(
            "GIF", lambda m=method: animation_gif(sampler.generate(paths[m]), gif_scale),
            f"{file_name(method)}.gif", "image/gif", key=f"interpolation-gif-{method}",
            on_click="ignore", icon=":material/download:", width="stretch")
        png_button.download_button(
            _("PNG strip"), lambda m=method: png_bytes(image_grid(
                sampler.generate(paths[m]), cols=len(paths[m]), scale=STRIP_SCALE)),
            f"{file_name(method)}.png", "image/png", key=f"interpolation-png-{method}",
            on_click="ignore", icon=":material/download:", width="stretch")
    st.subheader(_("Frame by frame"))
    mount("interpolation.js", "strips", "interpolation-browser-strips")


def draw_on_server() -> None:
    """Every frame drawn here: GIF animations and PNG strips."""
    images = sampler.generate(np.concatenate(list(paths.values())))
    frames = dict(zip(paths, np.split(images, len(paths))))         # (frames, 28, 28, 1)
    strips = {}
    for (method, label, _color), column in zip(methods, st.columns(len(methods))):
        strips[method] = image_grid(frames[method], cols=len(frames[method]), scale=STRIP_SCALE)
        gif = animation_gif(frames[method], gif_scale)
        with column:
            st.markdown(f"**{label}**")
            st.image(gif, caption=_("{stops}, back and forth").format(stops=stops),
                     alt=_("{method} animation of the generator's digits along the path "
                           "{stops}, back and forth").format(method=label, stops=stops))
            gif_button, png_button = st.columns(2)
            gif_button.download_button("GIF", gif, f"{file_name(method)}.gif", "image/gif",
                                       key=f"interpolation-gif-{method}", on_click="ignore",
                                       icon=":material/download:", width="stretch")
            png_button.download_button(_("PNG strip"), png_bytes(strips[method]),
                                       f"{file_name(method)}.png", "image/png",
                                       key=f"interpolation-png-{method}", on_click="ignore",
                                       icon=":material/download:", width="stretch")

    st.subheader(_("Frame by frame"))
    for method, label, _color in methods:
        st.image(strips[method], caption=f"{label}: {stops}", output_format="PNG",
                 alt=_("{method}: every frame of the path {stops}, left to right").format(
                     method=label, stops=stops))


st.title(_("Interpolation"))
st.markdown(_("Choose two or more seeds: the generator's digits for them are the stops of a "
              "path through latent space, and every frame in between is the generator's image "
              "of a point on that path. Does one digit morph smoothly into the next?"))
sampler = pick_generator("interpolation-generator")
if sampler is None:
    st.stop()
d = sampler.latent_dim
s = settings()

with st.expander(_("Pick the stops by clicking digits"), expanded=True,
                 icon=":material/touch_app:"):
    seed_thumbnails(sampler, "interpolation-thumbnails", add_seed,
                    button_help=_("Add this seed as the path's next stop."))
typed, steps_column = st.columns([3, 2], vertical_alignment="bottom")
text = typed.text_input(_("Seeds, in order"), key=synced("interpolation-seeds", s["seeds"]),
                        on_change=remember, args=("seeds", "interpolation-seeds"),
                        help=_("Whole numbers separated by commas; the same seed gives the "
                               "same digit as on the Latent explorer page."))
steps = steps_column.slider(_("Frames per segment (both ends included)"), STEPS.start,
                            STEPS.stop - 1, key=synced("interpolation-steps", int(s["steps"])),
                            on_change=remember, args=("steps", "interpolation-steps"))
try:
    seeds = parse_seeds(text, most=MAX_ENDPOINTS)
except ConfigError as exc:
    st.error(str(exc))
    st.stop()

methods = [m for m in METHODS if s["method"] in ("both", m[0])]
paths = {method: interpolation_path(seed_vectors(seeds, d), steps, method)
         for method, _label, _color in METHODS}                     # each (frames, d)
stops = " → ".join(_("seed {n}").format(n=seed) for seed in seeds)

head, shown, size = st.columns([1.2, 1.6, 2.2], vertical_alignment="bottom")
head.subheader(_("Animations"))
shown.segmented_control(_("Path"), list(SHOWN), format_func=SHOWN.get,
                        key=synced("interpolation-method", s["method"]), required=True,
                        on_change=remember, args=("method", "interpolation-method"))
size.segmented_control(_("Animation size"), list(SIZES), format_func=lambda k: SIZES[k][0],
                       key=synced("interpolation-size", s["size"]), required=True,
                       on_change=remember, args=("size", "interpolation-size"),
                       help=_("The GIFs are 224, 336 or 560 pixels wide (the download "
                              "too); presenter view starts at projector size."))
gif_scale = SIZES[s["size"]][1]
browser = browser_models(sampler, with_classifier=False)
if browser is not None:
    draw_in_browser(browser)
else:
    draw_on_server()

st.subheader(_("Why a great circle?"))
st.plotly_chart(norm_figure(paths, d), key="interpolation-norm-chart", width="stretch")
st.markdown(_("z is drawn from a Gaussian N(0, I), and in d = {d} dimensions such a vector is "
              "almost always about √d = {length} long; the straight line between two of them "
              "cuts inside that shell (its midpoint is only about √(d/2) = {half} long), into "
              "vectors the generator never saw in training, while the great circle keeps the "
              "length typical.").format(d=d, length=format_number(np.sqrt(d), 1),
                                        half=format_number(np.sqrt(d / 2), 1)))
