"""The class challenge's rules (ganlib.challenge): budgets, open settings, names, ranking, files."""

from __future__ import annotations

import json

import pytest

from ganlib.challenge import (CHALLENGE_PRESETS, ChallengeError, ChallengeState, Entry,
                              EntryStatus, Scoring, board_csv, clean_display_name, images_seen,
                              leaderboard, load_state, open_spec, save_state, score_generator,
                              steps_for_budget, wait_estimate)
from ganlib.config import make_config
from ganlib.errors import ConfigError

LATER = 2e9


def spec(preset="best-digits", **changes):
    return open_spec(preset, ends_at=LATER, **changes)


@pytest.mark.parametrize("preset", list(CHALLENGE_PRESETS))
def test_every_algorithm_of_a_preset_makes_an_entry_with_the_budget_as_its_work(preset):
    challenge = spec(preset)
    for algorithm in challenge.algorithms:
        config = challenge.entry_config(algorithm, {})
        assert images_seen(config.steps, config) >= challenge.budget_images
        assert images_seen(config.steps - 1, config) < challenge.budget_images


def test_the_budget_is_work_so_a_bigger_batch_trains_fewer_steps():
    challenge = spec()
    small = challenge.entry_config("gan", {"batch_size": 32})
    big = challenge.entry_config("gan", {"batch_size": 64})
    assert small.steps == 2 * big.steps == steps_for_budget(115_200, 32)
    assert steps_for_budget(100, 64) == 2          # rounded up: never less work


def test_the_quick_preset_for_a_minute_is_the_best_digits_budget():
    quick = make_config("gan", "quick")
    assert spec().budget_images == quick.steps * quick.batch_size


def test_only_open_settings_change_and_only_for_their_rule():
    challenge = spec()
    with pytest.raises(ChallengeError, match="fixed"):
        challenge.entry_config("gan", {"optimizer": "rmsprop"})
    rescue = spec("collapse-rescue")
    assert "n_critic" in rescue.settings_for("wgan")
    assert "n_critic" not in rescue.settings_for("gan")
    with pytest.raises(ChallengeError, match="fixed"):
        rescue.entry_config("gan", {"n_critic": 3})
    with pytest.raises(ConfigError):
        challenge.entry_config("gan", {"g_lr": 5.0})
    with pytest.raises(ChallengeError, match="GAN"):
        spec(algorithms=["gan"]).entry_config("wgan", {})


@pytest.mark.parametrize("changes, words", [
    (dict(title="x" * 81), "title"), (dict(title="  "), "title"), (dict(goal=""), "goal"),
    (dict(algorithms=[]), "algorithms"), (dict(algorithms=["wgan-gp"]), "algorithms"),
    (dict(changeable=["optimizer"]), "change only"), (dict(budget_images=10), "budget"),
    (dict(entries_per_student=0), "Entries"), (dict(entries_per_student=True), "Entries"),
])
def test_a_spec_out_of_bounds_is_refused_with_what_to_do(changes, words):
    preset = "collapse-rescue" if changes.get("algorithms") == ["wgan-gp"] else "best-digits"
    with pytest.raises(ChallengeError, match=words):
        spec(preset, **changes)


def test_the_bell():
    challenge = open_spec("best-digits", ends_at=100.0)
    assert challenge.open_at(99.9) and not challenge.open_at(100.0)


@pytest.mark.parametrize("raw, clean", [("  Ana   B ", "Ana B"), ("Nguyễn Văn A", "Nguyễn Văn A"),
                                        ("[x](http://e)", "[x](http://e)")])
def test_display_names_are_trimmed_and_kept_as_typed(raw, clean):
    assert clean_display_name(raw) == clean


@pytest.mark.parametrize("raw", ["a", "x" * 25, "!!!", "ab\u202ecd", "ab\x00cd", "   "])
def test_display_names_out_of_bounds_are_refused(raw):
    with pytest.raises(ChallengeError):
        clean_display_name(raw)


def entry(n, student, classes, fd, finished, **fields):
    return Entry(f"e{n}", student, "gan", {"g_lr": 0.003}, submitted_at=n,
                 status=EntryStatus.SCORED, finished_at=finished,
                 score={"classes_covered": classes, "classes_present": 10, "fd_ratio": fd},
                 **fields)


def test_an_empty_board_is_empty():
    assert leaderboard([], {}, set(), Scoring.QUALITY) == []
    queued = Entry("e1", "s1", "gan", {}, submitted_at=1)
    assert leaderboard([queued], {}, set(), Scoring.QUALITY) == []


def test_the_board_keeps_each_students_best_and_ranks_ties_by_who_finished_first():
    entries = [entry(1, "s1", 9, 12.0, finished=10), entry(2, "s1", 10, 20.0, finished=20),
               entry(3, "s2", 10, 15.0, finished=30), entry(4, "s3", 10, 15.0, finished=25),
               entry(5, "s4", 8, 5.0, finished=5)]
    rows = leaderboard(entries, {"s2": "Bo"}, {"s4"}, Scoring.QUALITY)
    assert [(r.place, r.entry.entry_id) for r in rows] == [(1, "e4"), (1, "e3"), (3, "e2"),
                                                           (4, "e5")]
    assert rows[1].name == "Bo" and rows[0].name.startswith("Student")
    assert rows[3].hidden
    # Scored on classes only: the FD ratio no longer breaks the tie.
    by_classes = leaderboard(entries, {}, set(), Scoring.CLASSES)
    assert [(r.place, r.entry.entry_id) for r in by_classes] == [(1, "e2"), (1, "e4"),
                                                                 (1, "e3"), (4, "e5")]


def test_a_removed_or_failed_entry_is_off_the_board():
    entries = [entry(1, "s1", 9, 12.0, finished=10).changed(status=EntryStatus.REMOVED),
               Entry("e2", "s2", "gan", {}, submitted_at=2, status=EntryStatus.FAILED)]
    assert leaderboard(entries, {}, set(), Scoring.QUALITY) == []


def test_the_csv_defuses_formulas_and_lists_hidden_names():
    rows = leaderboard([entry(1, "s1", 9, 12.0, finished=10)], {"s1": "=HYPERLINK(1)"},
                       {"s1"}, Scoring.QUALITY)
    text = board_csv(rows)
    assert "'=HYPERLINK(1)" in text and ",True," in text
    assert text.splitlines()[0].startswith("place,name")


def test_the_wait_is_what_runs_now_plus_an_entry_per_place_ahead():
    assert wait_estimate(1, 30.0, 60.0) == 30.0
    assert wait_estimate(3, 30.0, 60.0) == 150.0
    assert wait_estimate(2, 30.0, None) is None


def test_the_challenge_survives_a_round_trip_through_its_file(tmp_path):
    state = ChallengeState(spec(), [entry(1, "s1", 9, 12.0, finished=10, model="m")],
                           {"s1": "Ana"}, {"s1"})
    save_state(tmp_path / "c.json", state)
    again = load_state(tmp_path / "c.json")
    assert again == state
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]     # no scratch file left


@pytest.mark.parametrize("text", ["{", "[]", '{"version": 1}', '{"version": 9}',
                                  json.dumps({"version": 1, "spec": {"preset": "x"},
                                              "entries": [], "names": {}, "hidden": []})])
def test_a_broken_file_gives_a_message_never_a_crash(tmp_path, text):
    path = tmp_path / "c.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ChallengeError, match="damaged"):
        load_state(path)
    assert load_state(tmp_path / "none.json") is None


def test_every_entry_is_scored_on_the_same_noise_whatever_its_seed():
    from ganlib.models import build_generator

    config = make_config("gan", "quick", steps=1)
    generator = build_generator(config)
    first = score_generator(generator, config)
    again = score_generator(generator, config.replace(seed=7))
    assert first is not None and first == again
