"""Whose a saved model is and how good it is: what the Models page shows of each, and sorts by.

"Open the best student's model" must be one click: each card says who saved it (the
teacher, or which student) and its quality (classes drawn, Fréchet distance as a multiple of
real digits'), both read from its small files (ganlib.quality: measured once at save), and
the page sorts by either. Old models without a quality show "—" until measured on demand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from ganlib.checkpoints import CheckpointInfo
from ganlib.errors import GanlibError
from ganlib.quality import Quality, measure_checkpoint
from ganlib.server.classroom import Role, owner_for
from ui import roles
from ui.i18n import N_, _, format_number

SORT = "models-sort"           # the sort menu's key
NEWEST, BEST, OWNER = N_("Newest first"), N_("Best quality first"), N_("By owner")


def owner_label(info: CheckpointInfo) -> str:
    """Who saved the model, as the class calls them: the teacher, or "Student 1a2b" (the
    first hex of their browser id, as the sidebar tells each student who they are)."""
    if info.owner is None:
        return _("Teacher")
    label = owner_for(info.owner, Role.STUDENT).label
    return _("{student} (you)").format(student=label) if info.owner == roles.browser_id() \
        else label


def quality_text(info: CheckpointInfo) -> str:
    """ "10/10 classes · FD 3.2× real", or "—" for a model saved without a quality."""
    quality = Quality.of(info)
    if quality is None:
        return "—"
    return _("{covered}/{present} classes · FD {ratio}× real").format(
        covered=quality.classes_covered, present=quality.classes_present,
        ratio=format_number(quality.fd_ratio, 1))


def facts(info: CheckpointInfo) -> str:
    """The owner line (in a class) and the quality line of a model card, as Markdown."""
    lines = [] if roles.classroom().solo else [
        _("Saved by: {owner}").format(owner=owner_label(info))]
    lines.append(_("Quality: {quality}").format(quality=quality_text(info)))
    return "  \n".join(lines)


def sort_menu() -> str:
    """The sort menu (the owner order only in a class); the order chosen."""
    orders = [NEWEST, BEST] + ([] if roles.classroom().solo else [OWNER])
    return st.selectbox(_("Sort"), orders, format_func=_, key=SORT,
                        help=_("Best quality: most classes drawn first, then the Fréchet "
                               "distance closest to real digits'. Models never measured "
                               "come last."))


def in_order(infos: Sequence[CheckpointInfo], order: str) -> list[CheckpointInfo]:
    """`infos` (newest first, as listed) in the `order` chosen; ties stay newest first."""
    def quality_rank(info: CheckpointInfo) -> tuple:
        quality = Quality.of(info)
        return (0, *quality.rank) if quality is not None else (1,)

    def owner_rank(info: CheckpointInfo) -> tuple:
        return (info.owner is not None, owner_label(info))

    keys: dict[str, Callable[[CheckpointInfo], tuple]] = {BEST: quality_rank, OWNER: owner_rank}
    return sorted(infos, key=keys[order]) if order in keys else list(infos)


def measure_button(info: CheckpointInfo, say: Callable[[str, str, str], None]) -> None:
    """For a model without a quality, whoever may manage it can have it measured (about a
    second); the outcome goes to `say(where, kind, text)`."""
    if Quality.of(info) is not None or not roles.may(roles.current_owner(),
                                                       roles.Action.MANAGE_MODEL, info.owner):
        return
    st.button(_("Measure quality"), key=f"models-measure-{info.name}", on_click=_measure,
              args=(info.name, say), icon=":material/speed:")


def _measure(name: str, say: Callable[[str, str, str], None]) -> None:
    try:
        quality = measure_checkpoint(name)
    except GanlibError as exc:
        say(name, "error", str(exc))
        return
    if quality is None:
        say(name, "error", _("This model cannot be measured: no classifier ships for its "
                             "data (only for the MNIST digits and Fashion-MNIST), or its data "
                             "is not on this server."))
