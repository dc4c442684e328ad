"""Amounts written for people: file sizes, and the decimal settings a form shows and reads.

A settings form writes a decimal the way the page's language does ("0,0002" in Vietnamese,
"0.0002" in English) and reads back what a person types in either way: the language's own
form first, then the dot form every programming text uses ("2e-4", "0.0002"), so a value
copied from a paper or a config file is understood on any page.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, format_decimal, parse_decimal

from ganlib.messages import current_language, format_number

# Binary units (1 KB = 1024 bytes), as Streamlit counts its upload limit in MB.
_UNITS = ("KB", "MB", "GB", "TB")
# What a typed number may hold at all (after its spaces are dropped).
_NUMBER_CHARACTERS = re.compile(r"[\d.,eE+-]+")
# A number with one decimal mark, either "." or ",", and no thousands separators: "0,5",
# "2.5e-4". The form a person from either convention types when the language's own fails.
_ONE_MARK = re.compile(r"[+-]?(\d+[.,]?\d*|[.,]\d+)(e[+-]?\d+)?", re.IGNORECASE)


def format_size(n_bytes: int) -> str:
    """`n_bytes` in the largest unit that keeps the number under 1024: "812 B", "3.2 KB",
    "50 MB" ("3,2 KB" in Vietnamese). One decimal, dropped when it is 0, so that limits read
    as people write them."""
    if n_bytes < 1024:
        return f"{n_bytes} B"
    units = iter(_UNITS)
    value, unit = n_bytes / 1024, next(units)
    while round(value, 1) >= 1024 and unit != _UNITS[-1]:
        value, unit = value / 1024, next(units)
    value = round(value, 1)
    return f"{format_number(value, 0 if value.is_integer() else 1, grouping=False)} {unit}"


def format_setting(value: float) -> str:
    """`value` with every digit it has and no exponent or thousands separator, as the current
    language writes decimals: 0.0002 is "0,0002" in Vietnamese, 10.0 is "10". A setting
    shows exactly what training will use (a form that rounded 0.00025 to 0.0003 would not)."""
    return format_decimal(Decimal(repr(float(value))), locale=current_language(),
                          decimal_quantization=False, group_separator=False)


def parse_setting(text: str) -> float:
    """The number a person typed: "0,0005" or "5e-4" in Vietnamese, "0.0005" everywhere.
    Raises ValueError when `text` is no finite number."""
    text = "".join(text.split())
    if not _NUMBER_CHARACTERS.fullmatch(text):        # Decimal alone reads "1_000" or "NaN"
        raise ValueError(text)
    try:
        number = parse_decimal(text, locale=current_language(), strict=True)
    except NumberFormatError:
        if not _ONE_MARK.fullmatch(text):
            raise ValueError(text) from None
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise ValueError(text) from None
    value = float(number)
    if not math.isfinite(value):
        raise ValueError(text)
    return value
