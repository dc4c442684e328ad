"""Text that comes from files or people, shown as text and never as Markdown.

Streamlit renders every message, caption, heading, label and tooltip as Markdown. Some of
what the pages show was written by whoever made a file or typed a name: a model's name, the
dataset name in an uploaded model's config.json, the dataset notice in its meta.json.
Rendered as Markdown, `[click](http://evil)` becomes a link, `![](http://evil/x.png)` loads
a remote image in every visitor's browser, and `:red[...]` or `$...$` restyle the page, so
such text goes through `plain` first, wherever it is shown.
"""

from __future__ import annotations

import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark, and an escaped
# one is always shown as itself. Escaping all of them also defuses Streamlit's own markup
# (:red[...], :material/icon:, $math$), HTML, headings, lists and tables.
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
# GitHub's bare links (www.x.org, http://x, a@b.org) are found in the text after the escapes
# are resolved, so escaping cannot stop them: Streamlit linked a model named
# www.evil-example.com. An invisible WORD JOINER after what starts one does.
_BARE_LINK_START = re.compile(r"(?i)www(?=\.)|https?(?=:)|@")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """`text` as Markdown that shows exactly its characters: every punctuation character
    escaped, bare links broken by an invisible joiner, and runs of whitespace (new lines
    too, which could start a heading or a list) made one space."""
    flat = " ".join(str(text).split())
    unlinked = _BARE_LINK_START.sub(lambda start: start.group() + WORD_JOINER, flat)
    return _PUNCTUATION.sub(r"\\\1", unlinked)
