"""A metric history that stays small however long the run.

A run of a million steps must not hold a million rows, yet the last few hundred steps are
what a student watches. So the newest `recent` rows are kept exactly, and older rows are
kept as means over blocks of `stride` consecutive rows. When the older part fills up, its
neighbouring blocks are merged and the stride doubles. The whole run stays visible at an
even resolution (a zoomed-out chart), the recent part at full resolution, and memory stays
at `capacity` rows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

import numpy as np


class MetricHistory:
    """Rows of (step, time, metric...) with a fixed memory bound."""

    def __init__(self, names: Sequence[str], capacity: int = 4000, recent: int = 1000):
        if not 2 <= recent < capacity - 1:
            raise ValueError("MetricHistory needs 2 <= recent < capacity - 1.")
        self.columns: tuple[str, ...] = ("step", "time", *names)
        self.capacity = capacity
        self._old_capacity = (capacity - recent) // 2 * 2
        self._recent: deque[np.ndarray] = deque(maxlen=recent)
        self._old = np.empty((self._old_capacity, len(self.columns)))
        self._old_count = 0
        self._stride = 1                         # rows per block in the old part
        self._pending: list[np.ndarray] = []     # rows aged out, not yet a full block
        self._version = 0
        self._cached: tuple[int, dict[str, np.ndarray]] | None = None

    def __len__(self) -> int:
        return self._old_count + bool(self._pending) + len(self._recent)

    def append(self, step: int, time: float, values: Mapping[str, float]) -> None:
        """Add one row; metrics missing from `values` are stored as NaN."""
        row = np.array([step, time, *(values.get(n, np.nan) for n in self.columns[2:])], float)
        if len(self._recent) == self._recent.maxlen:
            self._age(self._recent[0])
        self._recent.append(row)
        self._version += 1

    def _age(self, row: np.ndarray) -> None:
        """A row leaves the recent part: into the pending block, or a full block into old."""
        self._pending.append(row)
        if len(self._pending) < self._stride:
            return
        if self._old_count == self._old_capacity:
            merged = self._old[: self._old_count].reshape(-1, 2, len(self.columns)).mean(axis=1)
            self._old_count = len(merged)
            self._old[: self._old_count] = merged
            self._stride *= 2
            if len(self._pending) < self._stride:
                return
        self._old[self._old_count] = np.mean(self._pending, axis=0)
        self._old_count += 1
        self._pending = []

    def arrays(self) -> dict[str, np.ndarray]:
        """Each column as a read-only array; the same objects until the next append."""
        if self._cached is None or self._cached[0] != self._version:
            parts = [self._old[: self._old_count]]
            if self._pending:
                parts.append(np.mean(self._pending, axis=0)[None])
            if self._recent:
                parts.append(np.array(self._recent))
            table = np.concatenate(parts) if len(self) else np.empty((0, len(self.columns)))
            data = {}
            for i, name in enumerate(self.columns):
                column = table[:, i].copy()
                column.flags.writeable = False
                data[name] = column
            self._cached = (self._version, data)
        return self._cached[1]

    def last(self) -> dict[str, float]:
        """The newest row, or {} before the first append."""
        if not self._recent:
            return {}
        return {name: float(v) for name, v in zip(self.columns, self._recent[-1])}

    def load(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Replace the contents with saved columns (a resumed run continues its history)."""
        self.__init__(self.columns[2:], self.capacity, self._recent.maxlen)
        steps = arrays.get("step", ())
        for i in range(len(steps)):
            self.append(int(steps[i]), float(arrays["time"][i]) if "time" in arrays else np.nan,
                        {name: float(arrays[name][i]) for name in self.columns[2:] if name in arrays})
