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
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import numpy as np
import plotly.graph_objects as go

from ganlib.images import image_grid, png_bytes
from ganlib.messages import current_language
from ganlib.runner import RunSnapshot

T = TypeVar("T")

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


def grid_png(run_id: str, step: int, images: np.ndarray, cols: int, scale: int) -> bytes:
    """The sample grid of `run_id` at `step` as PNG bytes, encoded once for all viewers.

    The images of one run at one sample step never change, so (run, step, layout) names them.
    """
    return RENDERS.get(("grid", run_id, step, cols, scale),
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
