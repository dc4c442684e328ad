"""Text for people in their language: gettext catalogs, read with Babel, for the app and ganlib.

One catalog domain (`ganclassroom`) holds every string a user reads: the app's labels and
the messages ganlib raises. The translations live as `.po` files that a translator edits,
locale/<language>/LC_MESSAGES/ganclassroom.po; English is the source language and needs no
catalog. A `.po` file is compiled in memory on first use (Babel's `read_po` / `write_mo`),
so there is no build step, nothing binary in git, and no compiled file that can go stale.

Which language to speak is asked at each translation of whoever registered a lookup
(`set_language_lookup`): the app registers one that reads the language of the browser
session being served (ui.i18n), so two browsers in two languages never see each other's,
also in button callbacks, and ganlib, which knows nothing of Streamlit, asks `_()` like the
app does. Without a lookup, or where it answers None (the command line, training threads),
the text is English.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.numbers import format_percent as babel_percent

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "ganclassroom"
SOURCE_LANGUAGE = "en"
# Every language the app offers, named in itself (as a language switch shows it). Adding a
# language: a catalog under locale/ and a line here (README: "Adding a language").
LANGUAGES = {"en": "English", "vi": "Tiếng Việt"}

_lookup: Callable[[], str | None] = lambda: None


def catalog_path(language: str) -> Path:
    """Where the translations into `language` live."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of `language`, once per process (a changed .po needs a restart,
    like the code). Fuzzy entries are left out: a guess is shown as the English source."""
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def set_language_lookup(lookup: Callable[[], str | None]) -> None:
    """From now on, ask `lookup` which language to speak (a code of LANGUAGES, or None for
    English) whenever a text is translated."""
    global _lookup
    _lookup = lookup


def current_language() -> str:
    """The language to speak here and now: the lookup's answer, English when it has none."""
    language = _lookup()
    return language if language in LANGUAGES else SOURCE_LANGUAGE


def _(message: str) -> str:
    """`message` in the current language (the English source where it has no translation)."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message that fits the count `n`, in the current language."""
    return translations(current_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for the catalog where it is defined (a table built at import time);
    whoever shows it translates it with `_()` then."""
    return message


def shortened(text: str, most: int = 40) -> str:
    """`text` as a message repeats it: what a user typed, or a link gave, may be thousands of
    characters long."""
    return text if len(text) <= most else f"{text[:most]}…"


def format_percent(share: float) -> str:
    """`share` (0.45) as a whole percentage, as the current language writes it: "45%"."""
    return babel_percent(share, format="#,##0%", locale=current_language())


class LazyText(str):
    """A message made where nobody reads it (a training thread), translated where it is shown.

    Its value is the English text, so it is a plain string to code that stores, compares or
    logs it; `str()` and formatting (f-strings, Streamlit's elements) give it in the language
    of whoever shows it. `message` is marked for the catalog like `_()`'s argument.
    """

    message: str
    values: dict

    def __new__(cls, message: str, **values: object) -> "LazyText":
        text = super().__new__(cls, message.format(**values))
        text.message, text.values = message, values
        return text

    def __str__(self) -> str:
        return _(self.message).format(**self.values)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def format_number(value: float, decimals: int | None = None, *, grouping: bool = True) -> str:
    """`value` written as the current language writes numbers: 1,234.5 in English, 1.234,5
    in Vietnamese. `decimals` fixes the number of decimals; without it, up to three show.
    `grouping=False` leaves out the thousands separator (1234.5)."""
    pattern = None if decimals is None else "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=current_language(),
                          group_separator=grouping)
