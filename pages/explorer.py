"""Latent explorer: one generated digit, the vector z behind it, and sliders that move z.

Each rerun makes one `Sampler.generate` call (the digit and its neighbours in one batch) on
a cached generator, so a slider redraws at once. The vector lives in
`st.session_state[STATE]`, not in the sliders: only a few of its numbers have sliders at a
time, and Streamlit forgets the state of widgets it does not draw (another page, another
group of dimensions). Every widget is set from that state before it is drawn, and writes
back to it in its on_change callback.
"""

import secrets

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ganlib.errors import GanlibError
from ganlib.images import image_grid
from ganlib.latent import latent_vectors, neighbours, principal_directions
from ganlib.sampling import Sampler
from ui.generator_picker import pick_generator
from ui.pages import require_entry_point

require_entry_point()

# {"seed", "z": (latent_dim,) float32, "shift": (DIRECTIONS,), "first": group, "radius"}
STATE = "explorer"
LIMIT = 3.0            # sliders span ±3: each number of z ~ N(0, 1) lies there 99.7% of the time
PER_GROUP = 8          # numbers of z with a slider at a time
DIRECTIONS = 5         # principal directions with a slider
IMAGE_SCALE = 12       # 28 px -> 336 px, every pixel a crisp square
NEIGHBOURS = 16        # the digit itself and 15 vectors near it
NEIGHBOUR_SCALE = 4
HIGHLIGHT, PLAIN = "#ea580c", "#64748b"   # bars with a slider now / the others


# --- state and callbacks (callbacks run before the page redraws) ------------------------------

def explorer_state(latent_dim: int) -> dict:
    """This tab's explorer state; started at seed 0, restarted for another latent size."""
    s = st.session_state.get(STATE)
    if s is None or len(s["z"]) != latent_dim:
        seed = s["seed"] if s else 0
        s = {"seed": seed, "z": latent_vectors(seed, 1, latent_dim)[0],
             "shift": np.zeros(DIRECTIONS), "first": 0, "radius": 0.5}
        st.session_state[STATE] = s
    return s


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
    """Back to `seed`'s own vector, direction sliders at 0; None picks a random seed."""
    s = st.session_state[STATE]
    s["seed"] = secrets.randbelow(100_000) if seed is None else int(seed)
    s["z"] = latent_vectors(s["seed"], 1, len(s["z"]))[0]
    s["shift"] = np.zeros(DIRECTIONS)


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


def vector_figure(z: np.ndarray, with_slider: range) -> go.Figure:
    """z as bars, one per dimension; those that have a slider now in orange."""
    colors = [HIGHLIGHT if i in with_slider else PLAIN for i in range(len(z))]
    figure = go.Figure(go.Bar(x=np.arange(len(z)), y=z.astype(np.float32), marker_color=colors,
                              hovertemplate="z[%{x}] = %{y:.2f}<extra></extra>"))
    figure.update_layout(height=230, margin=dict(l=10, r=10, t=36, b=10), font=dict(size=14),
                         title=dict(text="z, the latent vector behind the digit", x=0),
                         bargap=0.15, uirevision="explorer-z")
    figure.update_xaxes(showgrid=False)
    figure.update_yaxes(range=[-4, 4], zerolinecolor="#94a3b8")
    return figure


# --- the page ------------------------------------------------------------------------------

st.title("Latent explorer")
st.markdown("A generator turns a vector **z** of random numbers into a digit. Pick a seed to "
            "get its z, then move single numbers of z, or move along the directions that "
            "change the digit most, and watch what the generator makes of it.")
sampler = pick_generator("explorer-generator")
if sampler is None:
    st.stop()
s = explorer_state(sampler.latent_dim)
directions = directions_of(sampler, id(sampler), sampler.step)      # (k, latent_dim)
z = s["z"] + s["shift"][:len(directions)] @ directions               # (latent_dim,)
group = range(s["first"], min(s["first"] + PER_GROUP, len(z)))
cloud = neighbours(z, NEIGHBOURS, s["radius"], s["seed"])            # row 0 is z itself
images = sampler.generate(cloud)                                     # (NEIGHBOURS, 28, 28, 1)
moved = not np.array_equal(z, latent_vectors(s["seed"], 1, len(z))[0])

picture, controls = st.columns([1, 1.3], gap="large")
with picture:
    st.image(image_grid(images[:1], scale=IMAGE_SCALE), output_format="PNG",
             caption=f"Seed {s['seed']}" + (", moved by the sliders" if moved else ""))
    st.plotly_chart(vector_figure(z, group), key="explorer-z-chart", width="stretch")

with controls:
    seed, shuffle, reset = st.columns([2, 1, 1], vertical_alignment="bottom")
    seed.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1,
                      key=synced("explorer-seed", s["seed"]),
                      on_change=lambda: choose_seed(st.session_state["explorer-seed"]),
                      help="The same seed gives the same z on every page and for every "
                           "model with the same latent size.")
    shuffle.button("Random", key="explorer-random", icon=":material/casino:",
                   on_click=choose_seed, args=(None,), width="stretch")
    reset.button("Reset", key="explorer-reset", icon=":material/restart_alt:",
                 on_click=choose_seed, args=(s["seed"],), width="stretch",
                 help="Back to the seed's own vector: every slider to where it started.")

    st.subheader("Single numbers of z", divider="gray")
    st.selectbox("Sliders for", range(0, len(z), PER_GROUP),
                 format_func=lambda a: f"z[{a}] … z[{min(a + PER_GROUP, len(z)) - 1}]",
                 key=synced("explorer-group", s["first"]),
                 on_change=remember, args=("first", "explorer-group"),
                 help=f"z has {len(z)} numbers; {PER_GROUP} of them have sliders at a time "
                      f"(orange in the chart).")
    columns = st.columns(2)
    for n, i in enumerate(group):
        shown = float(np.clip(s["z"][i], -LIMIT, LIMIT))    # a rare |z[i]| > 3 sits at the end
        columns[n % 2].slider(f"z[{i}]", -LIMIT, LIMIT, step=0.05, format="%.2f",
                              key=synced(f"explorer-z{i}", shown),
                              on_change=remember, args=("z", f"explorer-z{i}", i))

    st.subheader("Directions that change the digit most", divider="gray")
    st.caption("The principal directions of the generator's first layer, mapped back to "
               "latent space: moving z along direction 1 changes that layer's output more "
               "than any other step of the same length. Each slider adds a × direction to z.")
    columns = st.columns(2)
    for k in range(len(directions)):
        columns[k % 2].slider(f"Direction {k + 1}", -LIMIT, LIMIT, step=0.05, format="%.2f",
                              key=synced(f"explorer-direction{k}", float(s["shift"][k])),
                              on_change=remember, args=("shift", f"explorer-direction{k}", k))

st.subheader("Neighbours: how far does a small change of z go?")
st.slider("Radius", 0.05, 2.0, step=0.05, key=synced("explorer-radius", s["radius"]),
          on_change=remember, args=("radius", "explorer-radius"),
          help="Each neighbour is z plus random noise of this standard deviation.")
st.image(image_grid(images, cols=NEIGHBOURS // 2, scale=NEIGHBOUR_SCALE), output_format="PNG",
         caption="Top left: the digit above. The others: z + radius × random noise. A smooth "
                 "generator draws similar digits near each other.")
