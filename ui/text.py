"""Text that comes from files, shown as text and never as Markdown.

Streamlit renders every message, caption, label and tooltip as Markdown. Some of what the
pages show was written by whoever made a file: the dataset name in an uploaded model's
config.json, the dataset notice in its meta.json, the name of an uploaded folder. Rendered
as Markdown, `[click](http://evil)` becomes a link and `![](http://evil/x.png)` loads a
remote image in every visitor's browser, so such text goes through `plain` first.
"""

from __future__ import annotations

import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark, and an escaped
# one is always shown as itself. Escaping all of them also defuses GitHub-style bare links
# (http://, www.) and Streamlit's own markup (:red[...], :material/icon:, $math$).
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")


def plain(text: object) -> str:
    """`text` as Markdown that shows exactly its characters: every punctuation character
    escaped, and runs of whitespace (new lines too, which could start a heading or a list)
    made one space."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))
