"""Links anybody can write: every URL parameter a page reads is refused in words, never with a
traceback, and the page keeps its defaults (ui/links.py; docs/decisions.md, "One reader for
every URL parameter").

`/explorer?seed=²`, `?seed=<5,000 digits>` and `/interpolation?seeds=1,<5,000 digits>` raised
an uncaught ValueError for whoever opened them.
"""

from __future__ import annotations

import pytest

from tests.test_app_explore import NAME, checkpoint, saved_model  # noqa: F401  (fixtures)
from ui.links import MAX_CHARS
from ui.pages import PAGES
from ui.text import plain

MARKDOWN = "![](http://evil/x.png)"
HOSTILE = {
    "superscript digit": "²",
    "Arabic-Indic digit": "٣",
    "negative": "-1",
    "5,000 digits": "9" * 5000,
    "empty": "",
    "repeated": ["1", "2"],
    "markdown": MARKDOWN,
    "too long": "x" * (MAX_CHARS + 1),
}
# What each page reads from its URL; every page also reads the app's own switches.
READS = {
    PAGES.explorer: ("seed", "z", "pc", "like", "model"),
    PAGES.interpolation: ("seeds", "method", "steps", "size", "model"),
    PAGES.train: ("algorithm", "preset", "g_loss"),
    PAGES.compare: ("lineup",),
    PAGES.playground: ("data", "algorithm", "g_updates"),
}
EVERY_PAGE = ("lang", "present", "run", "key", "follow")


def warnings(at) -> list[str]:
    return [w.value for w in at.warning]


@pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))
@pytest.mark.parametrize("page", list(READS), ids=lambda page: page.url_path)
def test_a_hostile_value_in_every_parameter_is_refused_in_words(page, value, open_app,
                                                                fresh_registry):
    query = {name: value for name in READS[page] + EVERY_PAGE}
    at = open_app(page, query=query, timeout=90)          # asserts that no exception shows
    shown = warnings(at) + [e.value for e in at.error]
    assert not any(MARKDOWN in text for text in shown)     # the link's text, shown as text
    assert all(len(text) < 2000 for text in shown)
    if value:                                              # an empty value means "none"
        assert any("could not be applied" in text for text in warnings(at))


@pytest.mark.parametrize("query, words", [
    ({"seed": "²"}, "'²' is not a seed"),
    ({"seed": "9" * 5000}, "'9999999999999999999999999999999999999999…' is not a seed"),
    ({"seed": "2147483648"}, "from 0 to 2147483647"),
    ({"seed": ["5", "6"]}, "seed is given 2 times"),
    ({"seed": "5", "z": "3:1e39"}, "'3:1e39' is not an edit"),
])
def test_a_bad_explorer_link_says_why_and_opens_seed_0(query, words, open_app):
    at = open_app(PAGES.explorer, query=query)
    assert plain(words) in warnings(at)[0]
    assert at.number_input(key="explorer-seed").value == 0
    assert at.query_params["seed"] == "0"


@pytest.mark.parametrize("query, words", [
    ({"seeds": "1," + "9" * 5000}, "is not a seed"),
    ({"seeds": "1, ٣"}, "'٣' is not a seed"),
    ({"seeds": "1, 2, 3, 4, 5, 6, 7, 8, 9"}, "Give at most 8 seeds"),
    ({"seeds": ["1, 2", "3, 4"]}, "seeds is given 2 times"),
    ({"steps": "1" * 5000}, "is not one of 4, 5"),
])
def test_a_bad_interpolation_link_says_why_and_keeps_the_defaults(query, words, open_app):
    at = open_app(PAGES.interpolation, query=query)
    assert plain(words) in warnings(at)[0]
    assert at.text_input(key="interpolation-seeds").value == "3, 17, 42"
    assert at.query_params["seeds"] == "3, 17, 42" and at.query_params["steps"] == "10"
    assert not at.error                                    # the default path is drawn


def test_good_values_beside_a_bad_one_still_apply(open_app):
    at = open_app(PAGES.interpolation, query={"seeds": "2; 6", "method": "diagonal",
                                              "steps": "5", "model": NAME})
    assert plain("method=diagonal is not one of") in warnings(at)[0]
    assert at.text_input(key="interpolation-seeds").value == "2, 6"
    assert at.query_params["steps"] == "5" and at.query_params["method"] == "both"
