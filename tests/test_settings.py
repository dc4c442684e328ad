"""The server's settings (ganlib/settings.py): each kind of value, what a bad one says, the
defaults, read once, and the README's table made from the module."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

from ganlib import settings
from ganlib.errors import SettingError
from ganlib.settings import Settings, folder, folders, load, number, text, whole_number

ROOT = Path(__file__).resolve().parents[1]

# The names administrators have in their scripts: they must never change.
NAMES = ("GAN_CLASSROOM_MAX_RUNS", "GAN_CLASSROOM_IDLE_PAUSE_S", "GAN_CLASSROOM_IDLE_STOP_S",
         "GAN_CLASSROOM_COMPARE_TIME_SCALE", "GAN_CLASSROOM_TEACHER_PASSCODE",
         "GAN_CLASSROOM_STUDENT_RUNS", "GAN_CLASSROOM_RAY_ADDRESS",
         "GAN_CLASSROOM_RAY_CPUS_PER_RUN", "GANLIB_CHECKPOINTS",
         "GAN_CLASSROOM_CHECKPOINT_QUOTA_MB", "GAN_CLASSROOM_STUDENT_SHARE",
         "GAN_CLASSROOM_CHECKPOINT_RESERVE", "GANLIB_DATA_DIRS", "GAN_CLASSROOM_DIGITS")


def test_the_names_stay_those_in_administrators_scripts():
    assert tuple(s.name for s in settings.SETTINGS.values()) == NAMES


# --- one parser per kind -------------------------------------------------------------------

def test_whole_numbers():
    parse = whole_number(1)
    assert parse("4") == 4 and parse(" 12 ") == 12
    assert whole_number(0)("0") == 0
    for bad in ("0", "-3", "2.5", "four", ""):
        with pytest.raises(ValueError, match="a whole number of at least 1"):
            parse(bad)


def test_numbers():
    parse = number(above=0)
    assert parse("300") == 300.0 and parse("0.5") == 0.5 and parse("1e3") == 1000.0
    for bad in ("0", "-1", "inf", "nan", "lots", ""):
        with pytest.raises(ValueError, match=r"^a number above 0$"):
            parse(bad)
    fraction = number(above=0, at_most=1)
    assert fraction("1") == 1.0 and fraction("0.1") == 0.1
    for bad in ("0", "1.5", "nan"):
        with pytest.raises(ValueError, match="a number above 0 and at most 1"):
            fraction(bad)


def test_folders_and_text(tmp_path):
    assert folder(f" {tmp_path} ") == tmp_path
    assert folder("~/models") == Path.home() / "models"
    assert folders(f"{tmp_path / 'a'}{os.pathsep}{os.pathsep} {tmp_path / 'b'}") == (
        tmp_path / "a", tmp_path / "b")
    assert folders("") == ()
    assert text("  auto ") == "auto"


# --- reading the environment ---------------------------------------------------------------

def test_an_empty_environment_gives_the_defaults():
    assert load({}) == Settings()
    defaults = Settings()
    assert defaults.max_runs is None                    # the registry: one per 2 CPU cores
    assert (defaults.idle_pause_s, defaults.idle_stop_s) == (300.0, 900.0)
    assert (defaults.compare_time_scale, defaults.student_runs) == (1.0, 1)
    assert defaults.teacher_passcode is None and defaults.ray_address is None
    assert defaults.ray_cpus_per_run == 2.0 and defaults.checkpoint_quota_mb == 2000.0
    assert (defaults.student_share, defaults.checkpoint_reserve) == (0.1, 0.25)
    assert defaults.checkpoints == ROOT / "checkpoints"
    assert defaults.data_dirs == (ROOT / "data",)


def test_every_variable_is_read(tmp_path):
    environ = {"GAN_CLASSROOM_MAX_RUNS": "3", "GAN_CLASSROOM_IDLE_PAUSE_S": "60",
               "GAN_CLASSROOM_IDLE_STOP_S": "120", "GAN_CLASSROOM_COMPARE_TIME_SCALE": "0.1",
               "GAN_CLASSROOM_TEACHER_PASSCODE": "open sesame",
               "GAN_CLASSROOM_STUDENT_RUNS": "0", "GAN_CLASSROOM_RAY_ADDRESS": "auto",
               "GAN_CLASSROOM_RAY_CPUS_PER_RUN": "1.5", "GANLIB_CHECKPOINTS": str(tmp_path),
               "GAN_CLASSROOM_CHECKPOINT_QUOTA_MB": "50.5", "GAN_CLASSROOM_STUDENT_SHARE": "0.2",
               "GAN_CLASSROOM_CHECKPOINT_RESERVE": "0.5", "GANLIB_DATA_DIRS": str(tmp_path)}
    assert load(environ) == Settings(
        max_runs=3, idle_pause_s=60.0, idle_stop_s=120.0, compare_time_scale=0.1,
        teacher_passcode="open sesame", student_runs=0, ray_address="auto",
        ray_cpus_per_run=1.5, checkpoints=tmp_path, checkpoint_quota_mb=50.5,
        student_share=0.2, checkpoint_reserve=0.5, data_dirs=(tmp_path,))


def test_a_blank_variable_is_unset_but_blank_data_folders_are_none():
    blank = {name: " " for name in NAMES}
    assert load(blank) == Settings(data_dirs=())


def test_the_environment_wins_over_the_secrets_file():
    secrets = {"teacher_passcode": "from-secrets", "ray_address": "ray://head:10001",
               "max_runs": "7"}                       # not a secret: ignored
    assert load({}, secrets) == Settings(teacher_passcode="from-secrets",
                                         ray_address="ray://head:10001")
    chosen = load({"GAN_CLASSROOM_TEACHER_PASSCODE": "env", "GAN_CLASSROOM_RAY_ADDRESS": ""},
                  secrets)
    assert (chosen.teacher_passcode, chosen.ray_address) == ("env", "ray://head:10001")


@pytest.mark.parametrize("name, value, expected", [
    ("GAN_CLASSROOM_MAX_RUNS", "lots", "a whole number of at least 1"),
    ("GAN_CLASSROOM_STUDENT_RUNS", "-1", "a whole number of at least 0"),
    ("GAN_CLASSROOM_IDLE_PAUSE_S", "5 min", "a number above 0"),
    ("GAN_CLASSROOM_COMPARE_TIME_SCALE", "2", "a number above 0 and at most 1"),
    ("GAN_CLASSROOM_CHECKPOINT_QUOTA_MB", "2 GB", "a number above 0"),
    ("GAN_CLASSROOM_STUDENT_SHARE", "10%", "a number above 0 and at most 1"),
    ("GAN_CLASSROOM_CHECKPOINT_RESERVE", "1", "a number above 0 and at most 0.9"),
])
def test_a_bad_value_says_which_variable_and_what_to_write(name, value, expected):
    with pytest.raises(SettingError) as err:
        load({name: value})
    default = settings.SETTINGS[next(f for f, s in settings.SETTINGS.items()
                                     if s.name == name)].default_text
    assert str(err.value) == (f"{name} is {value!r}, but it must be {expected}. Set it to such "
                              f"a value, or unset it for the default ({default}).")


def test_settings_are_read_once_until_reset(monkeypatch):
    monkeypatch.setenv("GAN_CLASSROOM_IDLE_PAUSE_S", "10")
    assert settings.get().idle_pause_s == 10.0
    monkeypatch.setenv("GAN_CLASSROOM_IDLE_PAUSE_S", "20")
    assert settings.get() is settings.get() and settings.get().idle_pause_s == 10.0
    assert settings.get({"teacher_passcode": "pass"}).teacher_passcode == "pass"
    settings.reset()
    assert settings.get().idle_pause_s == 20.0


def test_a_bad_value_is_refused_every_time_it_is_read(monkeypatch):
    monkeypatch.setenv("GAN_CLASSROOM_RAY_CPUS_PER_RUN", "many")
    for _ in range(2):
        with pytest.raises(SettingError, match="GAN_CLASSROOM_RAY_CPUS_PER_RUN is 'many'"):
            settings.get()


# --- one place -----------------------------------------------------------------------------

def readme_table() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Settings for a classroom server", 1)[1]
    lines = section.strip().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| environment"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return "\n".join(lines[start:end])


def test_the_readme_table_is_the_module_s():
    """Names, defaults and help in the same order; to update it, paste the output of
    `python -c "from ganlib.settings import markdown_table; print(markdown_table())"`."""
    assert readme_table() == settings.markdown_table()


def test_no_module_but_settings_reads_the_environment():
    """Every variable is read in one place; setting one (for TensorFlow, for Ray) is fine."""
    readers = []
    for path in sorted([*(ROOT / "ganlib").rglob("*.py"), *(ROOT / "ui").glob("*.py"),
                        *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]):
        if path == ROOT / "ganlib" / "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                    node.func.attr in ("get", "getenv", "__getitem__")
                    and re.search(r"environ|^os$", ast.unparse(node.func.value))):
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ" \
                    and isinstance(node.ctx, ast.Load):
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr == "secrets" \
                    and ast.unparse(node.value) == "st" and path.name != "server_settings.py":
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno} (st.secrets)")
    assert not readers, readers


def test_no_message_for_users_names_a_setting():
    """Users (students above all) cannot set a server's environment: the names belong in
    the server's log and the README. The translation catalog holds every message shown; the
    few meant for the administrator name their setting through `settings.name_of`."""
    catalog = (ROOT / "locale" / "vi" / "LC_MESSAGES" / "ganclassroom.po").read_text(
        encoding="utf-8")
    assert [name for name in NAMES if name in catalog] == []


def test_a_bad_setting_stops_the_app_with_a_plain_sentence_and_logs_which(monkeypatch, caplog):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("GAN_CLASSROOM_MAX_RUNS", "lots")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "This server is not set up correctly, so the app cannot open. Its administrator can "
        "see what to fix in the server's log."]
    shown = [e.value for kind in (at.markdown, at.caption, at.warning, at.info) for e in kind]
    assert not any("GAN_CLASSROOM" in text for text in shown)
    assert "GAN_CLASSROOM_MAX_RUNS is 'lots', but it must be a whole number" in caplog.text
