"""The Markdown prose of Home and Theory, and how ui.content cuts and draws it."""

from __future__ import annotations

import pytest

from ui import content


@pytest.mark.parametrize("name", ["home", "theory"])
def test_every_section_of_the_pages_prose_has_text(name):
    sections = content.sections(name)
    assert sections and all(sections.values())


def test_the_table_of_contents_lists_the_theory_headings_in_order():
    toc = content.table_of_contents("theory").splitlines()
    assert toc[0] == "- [1. The minimax game](#minimax)"
    assert toc[-1] == "- [Sources](#sources)"
    assert len(toc) == 9


def test_a_file_without_section_lines_says_what_to_add(tmp_path, monkeypatch):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "bare.md").write_text("Some prose.\n", encoding="utf-8")
    monkeypatch.setattr(content, "CONTENT_DIR", tmp_path)
    with pytest.raises(ValueError, match="<!-- section: name -->"):
        content.sections("bare")


def test_a_link_to_no_page_of_the_app_names_the_pages_there_are():
    with pytest.raises(ValueError, match="/nowhere.*/train"):
        content.show("[Somewhere](/nowhere)")
