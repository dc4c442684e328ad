"""ganlib.units: sizes written for people."""

import pytest

from ganlib.units import format_size


@pytest.mark.parametrize("n_bytes, text", [
    (0, "0 B"), (812, "812 B"), (1023, "1023 B"), (1024, "1 KB"), (1536, "1.5 KB"),
    (2**20 - 1, "1 MB"),              # 1023.999 KB rounds up to the next unit, not "1024 KB"
    (50 * 2**20, "50 MB"), (int(3.2 * 2**20), "3.2 MB"), (5 * 2**30, "5 GB"),
    (3000 * 2**40, "3000 TB"),        # the largest unit goes on past 1024
])
def test_sizes_use_the_largest_unit_and_one_decimal_at_most(n_bytes, text):
    assert format_size(n_bytes) == text
