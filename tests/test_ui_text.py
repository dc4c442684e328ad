"""Text from files is shown as text: no link, image or markup survives `plain`."""

import pytest

from ui.text import plain

ATTACKS = [
    "[x](http://evil)",
    "![](http://evil/img.png)",
    "<img src=x onerror=alert(1)>",
    "see http://evil.com or www.evil.com",
    "**bold** _it_ `code` :red[red] :material/home: $x^2$",
    "ok\n\n# Heading\n- item\n> quote",
    "[ref]: http://evil\n[ref]",
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
