"""ganlib.archives: the one rule for which zip entry names to trust."""

import stat
import zipfile

import pytest

from ganlib.archives import unsafe_entry_reason


@pytest.mark.parametrize("name", ["preview.png", "shared/meta.json", "digits/", "a/b/c.png",
                                  "..hidden.png", "x..y/z.png"])
def test_plain_relative_names_are_trusted(name):
    assert unsafe_entry_reason(zipfile.ZipInfo(name)) is None


@pytest.mark.parametrize("name, why", [
    ("/etc/passwd", "absolute path"),
    ("../escape.png", "'..'"),
    ("a/../../b.png", "'..'"),
    ("shared/../meta.json", "'..'"),
    ("..\\escape.png", "backslash"),
    ("\\abs\\escape.png", "backslash"),
    ("C:/Windows/evil.png", "drive letter"),
    ("C:evil.png", "drive letter"),
    ("a//b.png", "empty or '.' part"),
    ("./a.png", "empty or '.' part"),
])
def test_names_that_could_leave_a_folder_are_refused(name, why):
    assert why in unsafe_entry_reason(zipfile.ZipInfo(name))


def test_links_are_refused():
    link = zipfile.ZipInfo("shared/preview.png")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    assert unsafe_entry_reason(link) == "it is a link"
