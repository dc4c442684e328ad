"""Amounts written for people: file sizes."""

from __future__ import annotations

# Binary units (1 KB = 1024 bytes), as Streamlit counts its upload limit in MB.
_UNITS = ("KB", "MB", "GB", "TB")


def format_size(n_bytes: int) -> str:
    """`n_bytes` in the largest unit that keeps the number under 1024: "812 B", "3.2 KB",
    "50 MB". One decimal, dropped when it is 0, so that limits read as people write them."""
    if n_bytes < 1024:
        return f"{n_bytes} B"
    units = iter(_UNITS)
    value, unit = n_bytes / 1024, next(units)
    while round(value, 1) >= 1024 and unit != _UNITS[-1]:
        value, unit = value / 1024, next(units)
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"
