"""Amounts written for people: file sizes."""

from __future__ import annotations

from ganlib.messages import format_number

# Binary units (1 KB = 1024 bytes), as Streamlit counts its upload limit in MB.
_UNITS = ("KB", "MB", "GB", "TB")


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
