"""Links that open a page already set up: the URL parameters Train, Compare and the 2D
playground read, so a "try it" box on the Theory page can land on exactly what its text
describes.

    /train?algorithm=gan&preset=quick&g_loss=minimax     the settings form, filled
    /compare?lineup=mode-collapse                        the line-up, chosen
    /playground?data=ring&algorithm=gan&g_updates=3      the data, rule and G updates

A page applies its parameters once, when it is opened with them, and removes them from the
URL: from then on the user's own changes are what the page shows (a refresh does not undo
them). A value the page cannot use is reported, and the page keeps its defaults.

A link is input anybody can write, so every page reads its parameters here (`read`, `text`):
a parameter given twice, one longer than any link the app writes, or one its parser refuses
(a ConfigError, e.g. ganlib.latent.parse_seed) is reported in words, never raised, and the
report shows the link's text as text, not Markdown.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TypeVar

import streamlit as st

from ganlib.config import make_config, presets_for
from ganlib.errors import ConfigError
from ganlib.messages import shortened
from ui import widgets
from ui.i18n import _
from ui.text import plain

T = TypeVar("T")

TRAIN_PARAMS = ("algorithm", "preset", "g_loss")
# The longest value a link may give: an explorer link that changes every number of the
# largest z (1,024 numbers, about 16 characters each) stays below it.
MAX_CHARS = 20_000


def text(name: str) -> str | None:
    """The URL's `name`, None when the URL has none. A ConfigError when no page could use it:
    given more than once (which one was meant?), or longer than any link the app writes."""
    values = st.query_params.get_all(name)
    if not values:
        return None
    if len(values) > 1:
        raise ConfigError(_("{param} is given {count} times; a link gives it once.").format(
            param=name, count=len(values)))
    if len(values[0]) > MAX_CHARS:
        raise ConfigError(_("{param} is {length} characters long, more than any link of this "
                            "app.").format(param=name, length=len(values[0])))
    return values[0]


def read(name: str, parse: Callable[[str], T], default: T) -> T:
    """The URL's `name` read by `parse`, or `default` when the URL has none, or one that
    `text` or `parse` refuses (a ConfigError, whose message is reported)."""
    try:
        value = text(name)
        return default if value is None else parse(value)
    except ConfigError as exc:
        refuse(str(exc))
        return default


def one_of(param: str, allowed: Collection[str]) -> Callable[[str], str]:
    """A parser for `read`: the value itself when it is one of `allowed`."""
    def parse(value: str) -> str:
        if value not in allowed:
            raise ConfigError(_("{param}={value} is not one of {allowed}.").format(
                param=param, value=shortened(value), allowed=", ".join(allowed)))
        return value
    return parse


def taken(*names: str) -> dict[str, str]:
    """Those of the URL parameters `names` that the URL has and a page can use (the others
    are reported), all of them removed from it."""
    found = {name: read(name, str, None) for name in names}
    for name in names:
        st.query_params.pop(name, None)
    return {name: value for name, value in found.items() if value is not None}


def chosen(param: str, allowed: Collection[str]) -> str | None:
    """The URL's `param`, removed from it, when it is one of `allowed`; None when the URL
    has none (or one not allowed, which is reported)."""
    value = read(param, one_of(param, allowed), None)
    st.query_params.pop(param, None)
    return value


def refuse(problem: str) -> None:
    """Say that a link's settings were not applied, and why. The problem may repeat the
    link's text, which anybody can write: it is shown as text, never as Markdown (ui.text),
    and cut short (a library's message may quote a value whole)."""
    st.warning(_("This link's settings could not be applied: {problem} The page shows its "
                 "usual settings instead.").format(problem=plain(shortened(problem, 400))),
               icon=":material/link_off:")


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
