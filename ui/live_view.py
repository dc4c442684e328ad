"""What the live Train page draws of a run update, made once and shared by every viewer.

A class watching one run on the watch link redraws the page once a second per student. Made
per session, the sample grid's PNG (about 25 ms to encode) and the open chart's Plotly
figure (about 7 ms to build) cost the server about 3 % of a core per watcher, so thirty
students took a whole core from the teacher's training (docs/benchmarks/README.md,
"Cost of a class of watchers"). Here each picture and figure is made by the first session
that asks for it at a run update, and the others get the same object:

- the grid as PNG bytes, keyed by (run, sample step, layout). Streamlit stores `st.image`
  bytes under a hash of their content (`MemoryMediaFileStorage`), so equal bytes are stored
  once, and every viewer gets the same URL, which the browser may also keep;
- each chart's figure, keyed by (run, chart, run update, language). A
  figure, not a dict: `st.plotly_chart` validates a dict by building a figure from it again
  (about 9 ms), while a figure only gets copied and serialised (about 1 ms).

The store is small and bounded (least recently used entries go first), so a long day of
runs does not grow it; entries of a run that moved on are simply never asked for again.

Shared renders still left Streamlit's own cost of a watcher's refresh (the script run, its
element messages, the charts' JSON, the web socket: about 15 ms, 46 % of a core for thirty
students). So a watcher's grid and step do not come through Streamlit at all: the process's
`LiveFeed` (ganlib.server.live_feed) writes each wanted run's document and grid under `static/live/`,
which Streamlit serves as plain files (`server.enableStaticServing`), and `watch_grid` draws a
small component that polls that document once a second in the browser, swaps the picture,
and asks Streamlit for one rerun only when the run's status changes or the teacher presents
another run. The watcher's page itself refreshes every WATCHER_REFRESH_S (docs/decisions.md,
"A class of watchers polls files").
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TypeVar

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ganlib.images import image_grid, png_bytes
from ganlib.messages import current_language
from ganlib.server.live_feed import LiveFeed
from ganlib.server.shared import Shared
from ganlib.training.core import Run, RunSnapshot, RunStatus
from ui import state

T = TypeVar("T")

GRID_COLUMNS = 8        # 64 fixed-noise samples as 8 x 8 (a comparison's 36 as 6 x 6)
GRID_SCALE = 3          # each 28 x 28 digit drawn 84 x 84 pixels: crisp on a projector, and a
                        # 672-pixel PNG a second is half the encoding of 896 pixels
# Streamlit serves the folder `static/` beside app.py at `app/static/` (.streamlit/config.toml);
# the live feed writes under static/live/ (ignored by git).
STATIC = Path(__file__).resolve().parent.parent / "static"
LIVE_ROOT = STATIC / "live"
# A watcher's page (its numbers and charts) refreshes this often; the grid and the step come
# every second from the feed. About 15 ms a refresh: thirty watchers cost 30 x 15 ms / 10 s =
# 4.5 % of a core, and their polls of the feed's files (a JSON document and a PNG a second,
# about 2 ms each) about 12 % more: 0.56 % of a core a watcher measured, 17 % for thirty
# (every 5 s: 0.66 %, 20 %; docs/decisions.md, "A class of watchers polls files").
WATCHER_REFRESH_S = 10.0

# Enough for the grids and the five figures of a few live runs, plus the frames viewers
# scrub back to; about 70 kB a grid.
MAX_ENTRIES = 128


class SharedRenders:
    """A bounded least-recently-used store of rendered things, safe across sessions' threads.

    `get(key, make)` returns the stored value for `key`, or makes it once: a caller that
    arrives while another makes it waits and gets the same object, instead of making its own.
    One lock for all keys: a render takes milliseconds, and waiting for it is the point.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES):
        if max_entries < 1:
            raise ValueError(f"SharedRenders needs room for at least 1 entry (got {max_entries}).")
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, object] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]                      # type: ignore[return-value]
            value = make()
            self._entries[key] = value
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return value

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


# The process's store: every session of this server shares it.
RENDERS = SharedRenders()


def grid_png(run_id: str, step: int, images: np.ndarray, cols: int, scale: int,
             raw: bool = False) -> bytes:
    """The sample grid of `run_id` at `step` as PNG bytes, encoded once for all viewers.

    The images of one run at one sample step never change, so (run, step, layout) names them,
    and `raw`: the trained generator's grid rather than its average's (ganlib.gans).
    """
    return RENDERS.get(("grid", run_id, step, cols, scale, raw),
                       lambda: png_bytes(image_grid(images, cols=cols, scale=scale)))


def figure(snapshot: RunSnapshot, build: Callable[[RunSnapshot], go.Figure]) -> go.Figure:
    """`build(snapshot)` (a ui.charts figure), built once per run update for all viewers.

    A run update is named by its history's length and newest step (a run only ever appends)
    and its evaluations' length; viewers of the same update in the same language (titles
    and legends are translated) get the same figure object. Treat it as read-only: it is
    shared.
    """
    steps = snapshot.history.get("step", ())
    evaluations = snapshot.evaluations.get("step", ())
    update = (len(steps), float(steps[-1]) if len(steps) else None, len(evaluations))
    return RENDERS.get(("figure", snapshot.run_id, build.__qualname__, update,
                        current_language()),
                       lambda: build(snapshot))


def grid_columns(count: int) -> int:
    """Columns of a grid of `count` samples: square when it can be (64 as 8 x 8, a
    comparison's 36 as 6 x 6), else GRID_COLUMNS."""
    side = math.isqrt(count)
    return side if side * side == count else GRID_COLUMNS


def live_grid(snap: RunSnapshot) -> bytes:
    """The newest sample grid of `snap` as the Train and Compare pages show it, as PNG bytes
    (shared: the live feed writes the same bytes)."""
    return grid_png(snap.run_id, snap.samples_step, snap.samples,
                    grid_columns(len(snap.samples)), GRID_SCALE)


def _make_feed() -> LiveFeed:
    runs = state.registry()
    # A page that still shows a run wants it again at its next refresh: keep it until then,
    # with room for a refresh late on a busy server.
    return LiveFeed(LIVE_ROOT, grid=live_grid, presenting=lambda: runs.presenting,
                    want_for_s=3 * WATCHER_REFRESH_S).start()


_FEED = Shared(_make_feed, release=lambda feed: feed.close())


def feed() -> LiveFeed:
    """The process's live feed, started on first use; it names the run the teacher presents."""
    return _FEED.get()


def _url(name: str) -> str:
    """The address of one of the feed's files, relative to the page's."""
    return f"app/static/{(feed().folder / name).relative_to(STATIC).as_posix()}"


_LIVE_GRID = st.components.v2.component(
    "gan_classroom.live_grid", isolate_styles=False,
    js=(Path(__file__).with_name("live_grid.js")).read_text(encoding="utf-8"),
    css=(Path(__file__).with_name("live_grid.css")).read_text(encoding="utf-8"))


def watch_grid(run: Run, drawn_status: RunStatus, caption: str, alt: str, follow: bool,
               key: str = "train-live-grid", drawn_grid: bool = True) -> None:
    """The live grid of `run` for a watcher, polled from the feed by the browser every second.

    `caption` and `alt` are translated templates with a `{step}` (the browser fills in the
    grid's step in the page's language); `drawn_status` is the status the page was drawn
    for: when the feed says otherwise, or (`follow`) the teacher presents another job than
    the one presented when the page was drawn, or the run's first grid arrives on a page
    drawn without one (`drawn_grid` false: it said the grid would come), the component asks
    for one rerun. `key`: one per grid on a page. In AppTest (no browser) only its data is
    there to check.
    """
    _mount(feed().want(run), key=key, run=run.run_id, status=drawn_status, follow=follow,
           caption=caption, alt=alt, drawn_grid=drawn_grid)


def watch_classroom() -> None:
    """For a follower before the teacher's first run: nothing to see, but the browser polls
    the classroom's document and asks for one rerun when the teacher presents a job."""
    _mount(feed().classroom(), key="train-live-grid", run=None, status=None, follow=True,
           caption="", alt="", drawn_grid=True)


def _mount(document: str, key: str, **data: object) -> None:
    # The callback only declares the "changed" trigger: the rerun it causes is the point.
    _LIVE_GRID(key=key, width="stretch", on_changed_change=lambda: None, data={
        "feed": _url(document), **data,
        "presenting": state.registry().presenting if data["follow"] else None,
        "lang": current_language()})
