"""What one server process holds for every browser: made on first use, kept until the process
ends (or a test lets go of it).

The classroom's state (who the teacher is, the runs, the class's switches, the passcode
guesses, the live feed, the backend runs train on) must not live in Streamlit's
`st.cache_resource`: any client clears every cache with one websocket message
(`BackMsg.clear_cache`, no page load, no cookie needed), which signed the teacher out,
stopped every run unsaved and reset the passcode back-off (docs/decisions.md, "The
classroom's state is the process's, not a cache"). Caches keep only what can be rebuilt.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

_NOT_MADE = object()
_made: list[Shared] = []           # in the order they were made (a later one may use an earlier)
_made_lock = threading.Lock()


class Shared(Generic[T]):
    """One `make()` per process, shared by every session's thread; `release` lets it go."""

    def __init__(self, make: Callable[[], T], release: Callable[[T], None] | None = None):
        self._make = make
        self._release = release
        self._value: object = _NOT_MADE
        self._lock = threading.Lock()

    def get(self) -> T:
        """The object, made now if this is the first call (a second caller waits for it)."""
        with self._lock:
            if self._value is _NOT_MADE:
                self._value = self._make()
                with _made_lock:
                    if self not in _made:
                        _made.append(self)
            return self._value                                  # type: ignore[return-value]

    def release(self) -> None:
        """Let go of the object (its `release` runs); the next `get` makes a new one."""
        with self._lock:
            value, self._value = self._value, _NOT_MADE
        if value is not _NOT_MADE and self._release is not None:
            self._release(value)                                # type: ignore[arg-type]


def release_all() -> None:
    """Let go of every shared object, the latest made first (what it uses goes after it):
    the next request finds an empty server. For tests; a server process keeps its objects
    until it exits."""
    with _made_lock:
        made = _made[::-1]
        _made.clear()
    for shared in made:
        shared.release()
