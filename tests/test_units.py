"""ganlib.units: sizes and settings written for people, and settings read back."""

import pytest

from ganlib import messages
from ganlib.units import format_setting, format_size, parse_setting


@pytest.mark.parametrize("n_bytes, text", [
    (0, "0 B"), (812, "812 B"), (1023, "1023 B"), (1024, "1 KB"), (1536, "1.5 KB"),
    (2**20 - 1, "1 MB"),              # 1023.999 KB rounds up to the next unit, not "1024 KB"
    (50 * 2**20, "50 MB"), (int(3.2 * 2**20), "3.2 MB"), (5 * 2**30, "5 GB"),
    (3000 * 2**40, "3000 TB"),        # the largest unit goes on past 1024
])
def test_sizes_use_the_largest_unit_and_one_decimal_at_most(n_bytes, text):
    assert format_size(n_bytes) == text


@pytest.fixture
def speak(monkeypatch):
    def set_(language: str) -> None:
        monkeypatch.setattr(messages, "_lookup", lambda: language)
    return set_


@pytest.mark.parametrize("language, value, text", [
    ("vi", 2e-4, "0,0002"), ("vi", 6e-4, "0,0006"), ("vi", 0.5, "0,5"), ("vi", 10.0, "10"),
    ("vi", 1e-7, "0,0000001"), ("vi", 0.99999, "0,99999"), ("en", 2.5e-4, "0.00025"),
    ("en", 1000.0, "1000"),
])
def test_a_setting_shows_every_digit_as_its_language_writes_decimals(speak, language, value,
                                                                      text):
    speak(language)
    assert format_setting(value) == text
    assert parse_setting(text) == value


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("typed", ["0,0005", "0.0005", "5e-4", "5E-4", "0,5e-3", " 0,000 5 ",
                                   ",0005"])
def test_a_typed_setting_is_read_in_either_convention(speak, language, typed):
    speak(language)
    assert parse_setting(typed) == pytest.approx(5e-4, rel=1e-12)


def test_the_languages_own_grouping_wins_where_a_text_is_ambiguous(speak):
    speak("vi")
    assert parse_setting("1.000") == 1000 and parse_setting("1,000") == 1
    speak("en")
    assert parse_setting("1.000") == 1 and parse_setting("1,000") == 1000


@pytest.mark.parametrize("typed", ["", "abc", "0,1,2", "1e", "nan", "inf", "-inf", "1e999",
                                   "0x10", "1_000"])
def test_a_text_that_is_no_finite_number_is_refused(speak, typed):
    speak("vi")
    with pytest.raises(ValueError):
        parse_setting(typed)
