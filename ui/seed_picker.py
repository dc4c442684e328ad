"""A page of seeds as thumbnails, each with a button under it: pick a digit by its look.

st.image cannot be clicked, so every thumbnail has a button with its seed number; ‹ and ›
turn to the previous and next page of seeds. The Latent explorer picks one seed with it,
the Interpolation page adds stops to its path.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from ganlib.images import image_grid
from ganlib.latent import latent_vectors
from ganlib.sampling import Sampler
from ui.i18n import _

THUMBNAIL_SCALE = 2           # 28 px -> 56 px: big enough to tell the digits apart


def seed_thumbnails(sampler: Sampler, key: str, on_pick: Callable[[int], None],
                    per_page: int = 8, button_help: str | None = None) -> None:
    """Draw one page of `per_page` seeds in a row; clicking seed n's button calls on_pick(n)
    (as a callback, before the page redraws). Widget keys start with `key`."""
    page_key = f"{key}-page"
    page = st.session_state.setdefault(page_key, 0)
    seeds = range(page * per_page, (page + 1) * per_page)
    z = np.concatenate([latent_vectors(seed, 1, sampler.latent_dim) for seed in seeds])
    images = sampler.generate(z)                                    # (per_page, 28, 28, 1)
    for column, seed, image in zip(st.columns(per_page, gap="small"), seeds, images):
        column.image(image_grid(image[None], scale=THUMBNAIL_SCALE), width="stretch",
                     alt=_("The generator's digit for seed {seed}").format(seed=seed))
        column.button(str(seed), key=f"{key}-{seed - seeds.start}", on_click=on_pick,
                      args=(seed,), width="stretch", help=button_help)
    back, where, forward = st.columns([1, 3, 1], vertical_alignment="center")
    back.button("‹", key=f"{key}-back", on_click=_turn, args=(page_key, -1),
                disabled=page == 0, width="stretch", help=_("Previous seeds"))
    where.caption(_("Seeds {first} to {last}: click a number to pick that digit.").format(
        first=seeds.start, last=seeds.stop - 1))
    forward.button("›", key=f"{key}-forward", on_click=_turn, args=(page_key, 1),
                   width="stretch", help=_("Next seeds"))


def _turn(page_key: str, by: int) -> None:
    st.session_state[page_key] = max(0, st.session_state[page_key] + by)
