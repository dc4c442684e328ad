"""The class challenge for pages: the server's `ChallengeHost`, and how its numbers read.

One host per server process (ganlib.server.shared), beside the run registry whose slots its
entries use: it keeps its file in a hidden folder of the models folder, so a restart finds
the challenge and its board. Pages reach the host only through here (tests/test_layers.py).
"""

from __future__ import annotations

from ganlib.challenge import Entry, Scoring
from ganlib.checkpoints import checkpoint_root
from ganlib.config import TrainConfig
from ganlib.data import allowed_data_roots, load_dataset
from ganlib.server.challenge import BOARD, ChallengeHost
from ganlib.server.registry import wait_text
from ganlib.server.shared import Shared
from ganlib.training.core import Run
from ui import state
from ui.i18n import _, format_number

FOLDER = ".challenge"          # in the models folder: hidden, so no listing shows it


def _make_entry_run(config: TrainConfig, owner_id: str) -> Run:
    """An entry's run on this server's backend: nobody need watch it (it never pauses for
    want of a viewer) and it measures nothing while it trains (the score comes at its end)."""
    dataset = load_dataset(config.dataset, config.digits, allowed_roots=allowed_data_roots())
    return state.backend().make_run(config, dataset=dataset, owner_id=owner_id,
                                    pause_when_unwatched_s=None)


_HOST = Shared(lambda: ChallengeHost(state.registry(), checkpoint_root() / FOLDER,
                                     _make_entry_run),
               release=lambda host: host.stop())


def host() -> ChallengeHost:
    """This server's challenge (made with the registry on first use)."""
    return _HOST.get()


def board_presented() -> bool:
    """Whether the lecturer shows the class the board now (followers are on it)."""
    return state.registry().presenting == BOARD


def present_board() -> None:
    """Show the class the board: followers' tabs go to it, until the lecturer presents a job."""
    state.registry().presenting = BOARD


def score_text(entry: Entry, scoring: Scoring) -> str:
    """An entry's score in words: "9 of 10 kinds of digit · 12.3x real FD"."""
    quality = entry.quality
    if quality is None:
        return "—"
    classes = _("{covered} of {present} classes").format(covered=quality.classes_covered,
                                                         present=quality.classes_present)
    if scoring is Scoring.CLASSES:
        return classes
    return _("{classes} · FD {ratio}× real").format(classes=classes,
                                                     ratio=format_number(quality.fd_ratio, 1))


def wait_words(seconds: float | None) -> str:
    """A wait as a person says it; "not known yet" before the first entry has ended."""
    return _("not known yet") if seconds is None else wait_text(seconds)
