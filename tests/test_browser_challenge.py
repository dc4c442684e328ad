"""A class challenge in a real headless Chromium: a lecturer and two students, each in their
own browser context, on one server started with a teacher passcode.

The lecturer opens a challenge with the smallest budget (1,000 images: 32 steps of the quick
preset); the students choose names (one a Markdown and HTML name, shown as its characters)
and submit an entry each; the entries queue, train and are scored, and the board shows both
with their thumbnails and scores. The lecturer hides a name, downloads the board as CSV and
puts it on the projector; after the bell a student opens an entry in the explorer in one
click. The tests follow one lesson, in order. Screenshots go to
test-artifacts/screenshots/challenge-*.png.
"""

from __future__ import annotations

import csv
import re

import pytest

from tests.helpers import (NEEDS_CHROMIUM, TEACHER_PASSCODE, click_and_rerun, demo_app,
                           new_tab, settled, shoot, sign_in_as_teacher, wait_until)

pytestmark = NEEDS_CHROMIUM
pytest.importorskip("playwright.sync_api",
                    reason="playwright is not installed (requirements-dev.txt)")

CRAFTED = "**Ana** <b>x</b>"          # Markdown and HTML: shown as these characters
BAO = "Bảo"
PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}
BOARD_IMAGE = "[data-testid='stImage'] img"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(its URL, its models folder)."""
    with demo_app(tmp_path_factory.mktemp("challenge"),
                  GAN_CLASSROOM_TEACHER_PASSCODE=TEACHER_PASSCODE) as app:
        yield app.url, app.checkpoints


@pytest.fixture(scope="module")
def lecturer(browser, server):
    page = new_tab(browser)
    sign_in_as_teacher(page, server[0])
    return page


@pytest.fixture(scope="module")
def ana(browser, server):
    """A student on a phone."""
    page = new_tab(browser, PHONE)
    page.goto(f"{server[0]}/challenge")
    settled(page)
    return page


@pytest.fixture(scope="module")
def bao(browser, server):
    """A student who reads the app in Vietnamese."""
    page = new_tab(browser)
    page.goto(f"{server[0]}/challenge?lang=vi")
    settled(page)
    return page


def board_row(page, name: str, button: str):
    """The board row of `name` (the innermost block holding the name and `button`)."""
    return page.locator("[data-testid='stVerticalBlock']").filter(has_text=name).filter(
        has=page.get_by_role("button", name=button)).last


def test_the_lecturer_opens_a_challenge_with_a_tiny_budget(lecturer, ana, server):
    ana.get_by_text("There is no challenge now: the lecturer opens one.").wait_for()
    lecturer.goto(f"{server[0]}/challenge")
    budget = lecturer.get_by_role("spinbutton", name="Budget per entry (images seen)")
    budget.fill("1000")
    lecturer.get_by_role("spinbutton", name="Entries per student").fill("2")
    click_and_rerun(lecturer, lecturer.get_by_role("button", name="Open the challenge"))
    lecturer.get_by_text("The challenge is open.").wait_for()
    lecturer.get_by_role("button", name="Ring the bell now").wait_for()
    assert lecturer.get_by_role("button", name="Open the challenge").count() == 0


def test_students_choose_names_and_submit_entries(ana, bao):
    for page in (ana, bao):                  # the open challenge shows without a reload
        page.get_by_role("button", name=re.compile("Submit my entry|Nộp bài của tôi")
                         ).wait_for()
    ana.get_by_role("textbox", name="Your name on the board").fill(CRAFTED)
    click_and_rerun(ana, ana.get_by_role("button", name="Use this name"))
    ana.get_by_text("Your name is set.").wait_for()
    assert ana.get_by_role("button", name="Ring the bell now").count() == 0     # not hers
    click_and_rerun(ana, ana.get_by_role("button", name="Submit my entry"))
    ana.get_by_text("Your entry is in the queue.").wait_for()
    ana.get_by_text("1 entry left.").wait_for()
    # In Vietnamese.
    bao.get_by_role("textbox", name="Tên của bạn trên bảng xếp hạng").fill(BAO)
    click_and_rerun(bao, bao.get_by_role("button", name="Dùng tên này"))
    click_and_rerun(bao, bao.get_by_role("button", name="Nộp bài của tôi"))
    assert bao.get_by_role("button", name="Submit my entry").count() == 0
    shoot(bao, "challenge-student-vi")


def test_the_entries_are_scored_and_the_board_shows_both(lecturer, ana, bao):
    # Both on everyone's board, each with its thumbnail, within a second of its score.
    for page in (lecturer, ana, bao):
        wait_until(lambda page=page: page.locator(BOARD_IMAGE).count() >= 2, timeout=300,
                   what="both entries on the board with their thumbnails")
    board_row(lecturer, CRAFTED, "Hide name").wait_for()
    board_row(lecturer, BAO, "Hide name").wait_for()
    # The crafted name is its characters, never bold text or an HTML element.
    ana.get_by_text(CRAFTED).first.wait_for()
    assert ana.locator("b", has_text=re.compile(r"^x$")).count() == 0
    assert ana.locator("strong", has_text=re.compile(r"^Ana$")).count() == 0
    assert re.search(r"\d+ of 10 classes · FD [\d.]+× real", lecturer.inner_text("body"))
    ana.get_by_text(re.compile(r"GAN · scored · \d+ of 10")).wait_for()   # hers, live
    ana.get_by_role("button", name="Open in explorer").first.wait_for()
    wait_until(lambda: ana.get_by_role("button", name="Watch it train").count() == 0,
               what="the Watch button to go once the entry ended")
    shoot(ana, "challenge-student-phone")
    ana.locator(BOARD_IMAGE).first.scroll_into_view_if_needed()
    shoot(ana, "challenge-student-phone-board")


def test_a_follower_goes_to_the_board_the_lecturer_shows(browser, lecturer, server):
    follower = new_tab(browser)
    follower.goto(f"{server[0]}/train?follow=teacher")
    follower.get_by_text("Following the teacher").wait_for()
    click_and_rerun(lecturer, lecturer.get_by_role("button", name="Show the board to the class"))
    lecturer.get_by_text("The class follows this board.").wait_for()
    follower.wait_for_url(re.compile(r"/challenge\?.*follow=teacher"))   # by itself
    wait_until(lambda: follower.locator(BOARD_IMAGE).count() >= 2, timeout=60,
               what="the board on the follower's tab")
    follower.context.close()


def test_the_lecturer_hides_a_name_and_downloads_the_board(lecturer, bao, server):
    click_and_rerun(lecturer, board_row(lecturer, CRAFTED, "Hide name")
                    .get_by_role("button", name="Hide name"))
    board_row(lecturer, CRAFTED, "Show name").wait_for()
    lecturer.get_by_text("hidden from the class").wait_for()
    bao.get_by_text("(tên đã ẩn)").wait_for()                # hidden from the class ...
    assert bao.get_by_text(CRAFTED).count() == 0
    with lecturer.expect_download() as download:           # ... not from the lecturer's table
        lecturer.get_by_role("button", name="Download the board (CSV)").click()
    with open(download.value.path(), encoding="utf-8", newline="") as table:
        rows = list(csv.DictReader(table))
    assert {row["name"]: row["hidden"] for row in rows} == {CRAFTED: "True", BAO: "False"}
    assert all(row["model"].startswith("challenge-") for row in rows)
    assert all((server[1] / row["model"]).is_dir() for row in rows)


def test_the_board_on_the_projector(browser, lecturer, server):
    projector = lecturer.context.new_page()               # the lecturer's own cookies
    projector.set_viewport_size(PROJECTOR)
    projector.set_default_timeout(90_000)
    projector.goto(f"{server[0]}/challenge?present=1")
    wait_until(lambda: projector.locator(BOARD_IMAGE).count() >= 2, timeout=60,
               what="the board's thumbnails on the projector")
    projector.get_by_text("(name hidden)").wait_for()      # the class's view
    assert projector.get_by_text(CRAFTED).count() == 0
    assert projector.get_by_role("button", name="Submit my entry").count() == 0
    assert projector.get_by_role("button", name="Hide name").count() == 0
    shoot(projector, "challenge-projector")
    projector.close()


def test_after_the_bell_an_entry_opens_in_the_explorer_in_one_click(lecturer, ana):
    click_and_rerun(lecturer, lecturer.get_by_role("button", name="Ring the bell now"))
    ana.get_by_text("The challenge has ended. Final board.").wait_for()
    ana.get_by_text("The challenge has ended: no more entries.").wait_for()
    ana.get_by_role("button", name="Open in explorer").first.click()
    ana.wait_for_url(re.compile(r"/explorer"))
    settled(ana)
    shoot(ana, "challenge-explorer")
    ana.wait_for_url(re.compile(r"/explorer\?(.*&)?model=challenge-e[0-9a-f]{8}"))
