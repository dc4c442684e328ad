"""Text from files is shown as text: no link, image or markup survives `plain`."""

import re
import unicodedata

import pytest

from ui.text import WORD_JOINER, plain

ATTACKS = [
    "[x](http://evil)",
    "![](http://evil/img.png)",
    "<img src=x onerror=alert(1)>",
    "see http://evil.com or www.evil.com",
    "**bold** _it_ `code` :red[red] :material/home: $x^2$",
    "ok\n\n# Heading\n- item\n> quote",
    "[ref]: http://evil\n[ref]",
    "www.evil-example.com",
    "HTTPS://EVIL.COM/x and Www.Evil.org",
    "write to a.b@evil.com",
    "| a | b |\n|---|---|\n| 1 | 2 |",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_markup_from_files_renders_as_its_own_characters(text):
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").render(plain(text))
    assert "<a " not in html and "<img" not in html and "<h1" not in html
    assert "<strong" not in html and "<em" not in html and "<code" not in html
    assert "<li" not in html and "<blockquote" not in html
    assert html.startswith("<p>") and html.count("<p>") == 1


@pytest.mark.parametrize("text", ATTACKS)
def test_no_unescaped_markup_character_remains(text):
    escaped = plain(text)
    for i, char in enumerate(escaped):
        if char in "[]()!<>:.*_`$#-" and (i == 0 or escaped[i - 1] != "\\"):
            raise AssertionError(f"{char!r} at {i} is not escaped in {escaped!r}")


def test_plain_text_stays_readable():
    assert plain("mnist-10k") == "mnist\\-10k"
    assert plain("digits") == "digits"


# Streamlit's Markdown (remark-gfm, in its StreamlitMarkdown bundle) links these in the text
# after the escapes are resolved, when what comes before is the start, a space or punctuation.
GFM_BARE_LINKS = [re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.I | re.A),
                  re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", re.A)]


@pytest.mark.parametrize("text", ATTACKS)
def test_no_bare_link_survives_the_escapes_being_resolved(text):
    shown = re.sub(r"\\(.)", r"\1", plain(text))     # what the text nodes hold
    assert shown.replace(WORD_JOINER, "") == " ".join(text.split())
    for pattern in GFM_BARE_LINKS:
        for match in pattern.finditer(shown):
            before = shown[match.start() - 1] if match.start() else " "
            linked = before.isspace() or unicodedata.category(before)[0] in "PS"
            assert not linked, (text, match.group())
