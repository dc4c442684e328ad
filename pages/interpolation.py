"""Interpolation: morph one generated digit into another, along a straight line and a great circle.

The endpoints are the latent vectors of seeds (typed, or picked from a grid of samples), so
the first and last frames are exactly the digits those seeds give on every other page. One
`Sampler.generate` call per rerun draws the sample grid and both paths.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ganlib.errors import ConfigError
from ganlib.images import gif_bytes, image_grid, png_bytes
from ganlib.latent import interpolation_path, latent_vectors, parse_seeds
from ui.generator_picker import pick_generator
from ui.pages import require_entry_point

require_entry_point()

MAX_ENDPOINTS = 8
SAMPLE_SEEDS = range(16)      # the grid to pick endpoints from
SAMPLE_SCALE = 3
STRIP_SCALE = 3               # one row of frames, 84 px each
GIF_SCALE = 8                 # 224 px animations
GIF_FPS = 12
METHODS = (("linear", "Linear (straight line)", "#64748b"),
           ("spherical", "Spherical (great circle)", "#ea580c"))


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
                                name=f"√d = {typical[0]:.1f}: the typical length of z",
                                line=dict(dash="dash", color="#2563eb", width=2)))
    figure.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10), font=dict(size=14),
                         title=dict(text="Length of z along the path", x=0),
                         legend=dict(orientation="h", yanchor="top", y=-0.2, x=0),
                         hovermode="x unified", uirevision="interpolation-norm")
    figure.update_xaxes(title_text="frame")
    figure.update_yaxes(title_text="length of z", rangemode="tozero")
    return figure


st.title("Interpolation")
st.markdown("Choose two or more seeds: the generator's digits for them are the stops of a "
            "path through latent space, and every frame in between is the generator's image "
            "of a point on that path. Does one digit morph smoothly into the next?")
sampler = pick_generator("interpolation-generator")
if sampler is None:
    st.stop()
d = sampler.latent_dim

by = st.radio("Choose the seeds", ("Type seed numbers", "Pick from samples"), horizontal=True,
              key="interpolation-by")
if by == "Pick from samples":
    grid = st.container()                      # filled below, after the one generate call
    seeds = st.multiselect("Seeds, in the order the path visits them", SAMPLE_SEEDS,
                           default=[1, 7], max_selections=MAX_ENDPOINTS,
                           key="interpolation-picked", placeholder="Pick two or more samples")
else:
    grid = None
    text = st.text_input("Seeds, in order", value="3, 17, 42", key="interpolation-seeds",
                         help="Whole numbers separated by commas; the same seed gives the "
                              "same digit as on the Latent explorer page.")
    try:
        seeds = parse_seeds(text, most=MAX_ENDPOINTS)
    except ConfigError as exc:
        st.error(str(exc))
        st.stop()
steps = st.slider("Frames per segment (both ends included)", 4, 32, 10,
                  key="interpolation-steps")

sample_z = seed_vectors(SAMPLE_SEEDS if grid is not None else [], d)          # (16 or 0, d)
paths = {method: interpolation_path(seed_vectors(seeds, d), steps, method)
         for method, _, _ in METHODS} if len(seeds) >= 2 else {}  # each (frames, d)
images = sampler.generate(np.concatenate([sample_z, *paths.values()]))
if grid is not None:
    grid.image([image_grid(image[None], scale=SAMPLE_SCALE) for image in images[:len(sample_z)]],
               caption=[f"seed {seed}" for seed in SAMPLE_SEEDS])
if not paths:
    st.info("Pick at least two samples: a path needs a start and an end.")
    st.stop()
frames = dict(zip(paths, np.split(images[len(sample_z):], len(paths))))  # (frames, 28, 28, 1)
stops = " → ".join(map(str, seeds))

st.subheader("Animations")
strips = {}
for (method, label, _), column in zip(METHODS, st.columns(2)):
    strips[method] = image_grid(frames[method], cols=len(frames[method]), scale=STRIP_SCALE)
    gif = gif_bytes([image_grid(f[None], scale=GIF_SCALE) for f in frames[method]],
                    fps=GIF_FPS, boomerang=True)
    name = f"{sampler.source}-seeds-{'-'.join(map(str, seeds))}-{method}"
    with column:
        st.markdown(f"**{label}**")
        st.image(gif, caption=f"seeds {stops}, back and forth")
        gif_button, png_button = st.columns(2)
        gif_button.download_button("GIF", gif, f"{name}.gif", "image/gif",
                                   key=f"interpolation-gif-{method}", on_click="ignore",
                                   icon=":material/download:", width="stretch")
        png_button.download_button("PNG strip", png_bytes(strips[method]), f"{name}.png",
                                   "image/png", key=f"interpolation-png-{method}",
                                   on_click="ignore", icon=":material/download:",
                                   width="stretch")

st.subheader("Frame by frame")
for method, label, _ in METHODS:
    st.image(strips[method], caption=f"{label}: seeds {stops}", output_format="PNG")

st.subheader("Why a great circle?")
st.plotly_chart(norm_figure(paths, d), key="interpolation-norm-chart", width="stretch")
st.markdown(f"z is drawn from a Gaussian N(0, I), and in d = {d} dimensions such a vector is "
            f"almost always about √d = {np.sqrt(d):.1f} long; the straight line between two "
            f"of them cuts inside that shell (its midpoint is only about √(d/2) = "
            f"{np.sqrt(d / 2):.1f} long), into vectors the generator never saw in training, "
            f"while the great circle keeps the length typical.")
