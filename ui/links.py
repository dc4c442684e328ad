"""Links that open a page already set up: the URL parameters Train, Compare and the 2D
playground read, so a "try it" box on the Theory page can land on exactly what its text
describes.

    /train?algorithm=gan&preset=quick&g_loss=minimax     the settings form, filled
    /compare?lineup=mode-collapse                        the line-up, chosen
    /playground?data=ring&algorithm=gan&g_updates=3      the data, rule and G updates

A page applies its parameters once, when it is opened with them, and removes them from the
URL: from then on the user's own changes are what the page shows (a refresh does not undo
them). A value the page cannot use is reported, and the page keeps its defaults.
"""

from __future__ import annotations

from collections.abc import Collection

import streamlit as st

from ganlib.config import make_config, presets_for
from ganlib.errors import ConfigError
from ui import widgets
from ui.i18n import _

TRAIN_PARAMS = ("algorithm", "preset", "g_loss")


def taken(*names: str) -> dict[str, str]:
    """Those of the URL parameters `names` that the URL has, removed from it."""
    found = {name: st.query_params[name] for name in names if name in st.query_params}
    for name in found:
        del st.query_params[name]
    return found


def chosen(param: str, allowed: Collection[str]) -> str | None:
    """The URL's `param`, removed from it, when it is one of `allowed`; None when the URL
    has none (or one not allowed, which is reported)."""
    value = taken(param).get(param)
    if value is None or value in allowed:
        return value
    refuse(_("{param}={value} is not one of {allowed}.").format(
        param=param, value=value, allowed=", ".join(allowed)))
    return None


def refuse(problem: str) -> None:
    """Say that a link's settings were not applied, and why."""
    st.warning(_("This link's settings could not be applied: {problem} The page shows its "
                 "usual settings instead.").format(problem=problem), icon=":material/link_off:")


def open_train_link(prefix: str) -> None:
    """Fill the settings form `prefix` from ?algorithm=&preset=&g_loss= (the preset's values,
    then the named settings), when the URL has them."""
    wanted = taken(*TRAIN_PARAMS)
    if not wanted:
        return
    algorithm = wanted.pop("algorithm", "gan")
    try:
        preset = wanted.pop("preset", None) or presets_for(algorithm)[0]
        make_config(algorithm, preset, **wanted)            # the message says what is wrong
    except ConfigError as exc:
        refuse(str(exc))
        return
    widgets.fill_form(prefix, algorithm, preset, **wanted)
