"""Prose for people, kept as Markdown under content/<language>/ and drawn with Streamlit.

Long explanations (Home, Theory) are easier to read, review and translate as Markdown files
than as Python strings: content/en/ holds the English, content/vi/ the same sections in
Vietnamese (same section lines, anchors and formulas). A file is cut into named sections by
`<!-- section: name -->` lines, so a page can place its charts, buttons and boxes between
them. Within a section, `show` draws what Streamlit has its own element for: the page title
(`# `), section headings with their anchor (`## Title {#anchor}`), displayed formulas (`$$`
blocks, as `st.latex`) and links to the app's pages (a paragraph that is only
`[label](/page)`).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl
from functools import cache
from pathlib import Path

import streamlit as st

from ui.i18n import current_language
from ui.pages import PAGES, AppPage

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"

_SECTION = re.compile(r"^<!-- section: ([\w-]+) -->$", re.MULTILINE)
_TITLE = re.compile(r"# (.+)")
_HEADING = re.compile(r"## (.+) \{#([\w-]+)\}")
_PAGE_LINK = re.compile(r"\[(.+)\]\(/([\w-]+)(?:\?([^)\s]+))?\)")   # /train?preset=article
_PAGES_BY_URL = {page.url_path: page for page in PAGES}


def sections(name: str, language: str | None = None) -> dict[str, str]:
    """content/<language>/<name>.md as {section name: Markdown}, in the file's order; by
    default in the language of this script run (ui.i18n).

    Read once per server process (like the code, a changed file needs a restart). Text
    before the first section line is a note for editors and is not shown.
    """
    return _sections(CONTENT_DIR / (language or current_language()) / f"{name}.md")


@cache
def _sections(path: Path) -> dict[str, str]:
    parts = _SECTION.split(path.read_text(encoding="utf-8"))
    found = {key: body.strip() for key, body in zip(parts[1::2], parts[2::2])}
    if not found:
        raise ValueError(f"{path} has no '<!-- section: name -->' line: add one before "
                         "each part the page draws")
    return found


def table_of_contents(name: str, language: str | None = None) -> str:
    """A Markdown list linking to every `## Title {#anchor}` heading of the file."""
    text = "\n\n".join(sections(name, language).values())
    headings = (_HEADING.fullmatch(line) for line in text.splitlines())
    return "\n".join(f"- [{h[1]}](#{h[2]})" for h in headings if h)


def show(markdown: str) -> None:
    """Draw one section: title, headings, formulas and page links as their own elements,
    everything between them as one Markdown element."""
    prose: list[str] = []

    def flush() -> None:
        if prose:
            st.markdown("\n\n".join(prose))
            prose.clear()

    for block in re.split(r"\n\s*\n", markdown.strip()):
        title, heading, link = (pattern.fullmatch(block)
                                for pattern in (_TITLE, _HEADING, _PAGE_LINK))
        if block.startswith("$$") and block.endswith("$$"):
            flush()
            st.latex(block.strip("$").strip())
        elif title:
            flush()
            st.title(title[1])
        elif heading:
            flush()
            st.header(heading[1], anchor=heading[2], divider="gray")
        elif link:
            flush()
            st.page_link(_app_page(link[2]).page(), label=link[1],
                         query_params=dict(parse_qsl(link[3] or "")))
        else:
            prose.append(block)
    flush()


def _app_page(url_path: str) -> AppPage:
    if url_path not in _PAGES_BY_URL:
        raise ValueError(f"A page link in content/ points at /{url_path}, which is no page of "
                         f"the app: use one of /{', /'.join(_PAGES_BY_URL)}")
    return _PAGES_BY_URL[url_path]
