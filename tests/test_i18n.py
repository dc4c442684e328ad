"""Both languages: the catalogs are complete and current, the prose files match, and every
page rendered in Vietnamese shows no English text from the catalog."""

from __future__ import annotations

import ast
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from ganlib import checkpoints, messages, playground
from ganlib.config import make_config
from ganlib.data import load_dataset
from ganlib.errors import CheckpointError, ConfigError, DataError
from ganlib.training.runner import TrainingRun
from scripts.translations import extract
from tests import helpers
from ui import content, state
from ui.pages import PAGES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [language for language in messages.LANGUAGES
              if language != messages.SOURCE_LANGUAGE]
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def catalog(language: str):
    with messages.catalog_path(language).open("rb") as po:
        return read_po(po, locale=language)


def entries(language: str) -> list:
    return [message for message in catalog(language) if message.id]


def source_text(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


@pytest.fixture
def speak(monkeypatch):
    """A factory: from now on ganlib.messages speaks `language` (as a browser session would)."""
    def set_(language: str) -> None:
        monkeypatch.setattr(messages, "_lookup", lambda: language)
    return set_


# --- the catalogs ------------------------------------------------------------------------

@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_entry_is_translated_and_none_is_a_guess(language):
    untranslated = [source_text(m) for m in entries(language)
                    if not m.string or (isinstance(m.string, tuple) and not all(m.string))]
    fuzzy = [source_text(m) for m in entries(language) if m.fuzzy]
    assert not untranslated, f"untranslated in {language}: {untranslated}"
    assert not fuzzy, f"fuzzy (unchecked guesses) in {language}: {fuzzy}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_translation_keeps_the_placeholders_of_its_source(language):
    for message in entries(language):
        sources = [message.id] if isinstance(message.id, str) else list(message.id)
        translations = [message.string] if isinstance(message.string, str) else message.string
        wanted = set(PLACEHOLDER.findall(sources[-1]))
        for translation in translations:
            assert set(PLACEHOLDER.findall(translation)) == wanted, source_text(message)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalog_holds_exactly_the_strings_the_code_marks(language, tmp_path):
    """Fails when someone wraps a new string in _() (or changes one) without running
    `python -m scripts.translations` and translating it."""
    template = tmp_path / "template.pot"
    extract(template)
    with template.open("rb") as pot:
        in_code = {source_text(m) for m in read_po(pot) if m.id}
    in_catalog = {source_text(m) for m in entries(language)}
    assert not in_code - in_catalog, f"not in the {language} catalog: {in_code - in_catalog}"
    assert not in_catalog - in_code, f"no longer in the code: {in_catalog - in_code}"
    assert not catalog(language).obsolete, "obsolete entries: run scripts.translations"


# --- the prose files -----------------------------------------------------------------------

def formulas(markdown: str) -> list[str]:
    return re.findall(r"\$\$.+?\$\$", markdown, re.DOTALL)


def page_links(markdown: str) -> list[str]:
    return re.findall(r"\]\((/[^)]*)\)", markdown)


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("name", ["home", "theory"])
def test_each_languages_prose_has_the_same_sections_formulas_and_links(name, language):
    english, translated = content.sections(name, "en"), content.sections(name, language)
    assert list(translated) == list(english)
    for section in english:
        assert formulas(translated[section]) == formulas(english[section]), section
        assert page_links(translated[section]) == page_links(english[section]), section
    anchors = re.compile(r"\{#[\w-]+\}")
    assert (anchors.findall(content.table_of_contents(name, language))
            == anchors.findall(content.table_of_contents(name, "en")))



# Words a Vietnamese university lecturer would not use, with what docs/glossary.md says
# instead: school words for the class, literal or English renderings of the articles' terms.
REJECTED_VI = {
    "giáo viên": "giảng viên", "học sinh": "sinh viên", "mật mã": "mật khẩu",
    "sụp đổ mô hình": "sụp đổ mode", "maximize": "cực đại hóa", "minimize": "cực tiểu hóa",
    "gradient biến mất": "tiêu biến gradient", "gradient vanishing": "tiêu biến gradient",
    "feedback": "phản hồi", "kế hoạch vận chuyển": "phương án vận chuyển",
    "penalty nói về": "hình phạt đặt lên", "bộ phân loại đọc được": "bộ phân loại nhận ra",
    "đi và về": "qua lại", "Giáo viên đăng nhập": "Đăng nhập giảng viên",
}


def test_the_vietnamese_texts_use_a_lecturers_words():
    texts = {f"msgstr of {source_text(m)!r}": " ".join(
        [m.string] if isinstance(m.string, str) else m.string) for m in entries("vi")}
    texts.update({str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
                  for path in sorted((ROOT / "content" / "vi").glob("*.md"))})
    found = [f"{where}: {rejected!r} (say {instead!r})" for where, text in texts.items()
             for rejected, instead in REJECTED_VI.items() if rejected.lower() in text.lower()]
    assert not found, "\n".join(found)

# --- numbers and ganlib's own messages ----------------------------------------------------

def test_numbers_are_written_as_each_language_writes_them(speak):
    speak("en")
    assert messages.format_number(1234.5) == "1,234.5"
    speak("vi")
    assert messages.format_number(1234.5) == "1.234,5"
    assert messages.format_number(0.25, 2) == "0,25"


def test_ganlib_errors_speak_the_language_of_whoever_asks(speak):
    speak("vi")
    with pytest.raises(ConfigError, match="phải là một số từ"):
        make_config("gan", "quick", d_lr=5.0)
    speak("en")
    with pytest.raises(ConfigError, match="must be a number from"):
        make_config("gan", "quick", d_lr=5.0)


# The command line (ganlib/cli.py) is a developer's tool and speaks English; every other
# message ganlib raises can reach the app's reader.
CLI = ROOT / "ganlib" / "cli.py"
# Python's own exceptions are for programmers (a wrong call); ganlib's own carry messages
# for people, also the internal ones whose text ends up in a GanlibError.
PROGRAMMERS_EXCEPTIONS = {"AssertionError", "KeyError", "NotImplementedError", "RuntimeError",
                          "TypeError", "ValueError"}
TRANSLATING_CALLS = {"_", "ngettext", "N_", "LazyText"}


def _untranslated_texts(message: ast.expr) -> Iterator[ast.expr]:
    """The literal texts in a raised message that no translating call wraps (punctuation
    and spaces between translated parts aside)."""
    if isinstance(message, ast.JoinedStr):
        yield message
    elif isinstance(message, ast.Constant) and isinstance(message.value, str):
        if re.search(r"[A-Za-z]", message.value):
            yield message
    elif isinstance(message, ast.BinOp):
        yield from _untranslated_texts(message.left)
        yield from _untranslated_texts(message.right)
    elif isinstance(message, ast.IfExp):
        yield from _untranslated_texts(message.body)
        yield from _untranslated_texts(message.orelse)
    elif isinstance(message, ast.BoolOp):
        for value in message.values:
            yield from _untranslated_texts(value)
    elif isinstance(message, ast.Call) and isinstance(message.func, ast.Attribute) \
            and message.func.attr == "format":
        yield from _untranslated_texts(message.func.value)


def test_every_message_ganlib_raises_for_people_is_marked_for_translation():
    """Fails on `raise DataError(f"...")` (or a literal) anywhere in ganlib but its command
    line: wrap it, `_("... {name} ...").format(name=...)`, then run scripts.translations."""
    found = []
    for path in sorted((ROOT / "ganlib").rglob("*.py")):
        if path == CLI:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                callee = node.exc.func
                name = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", "")
                if name not in PROGRAMMERS_EXCEPTIONS:
                    found += [f"{path.relative_to(ROOT)}:{text.lineno}" for argument in node.exc.args
                              for text in _untranslated_texts(argument)]
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in TRANSLATING_CALLS and node.args
                    and isinstance(node.args[0], ast.JoinedStr)):
                found.append(f"{path.name}:{node.lineno} (an f-string cannot be extracted)")
    assert not found, f"untranslated messages for people: {found}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_ganlibs_refusals_of_bad_files_speak_the_readers_language(language, speak, tmp_path):
    """A refused upload, a too small drawing and an unreadable data file, as a reader in
    `language` gets them: no English sentence of the catalog left in them."""
    speak(language)
    stray = io.BytesIO()
    with zipfile.ZipFile(stray, "w") as archive:
        archive.writestr("evil.txt", "not a checkpoint file")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a numpy archive")
    refusals = [(CheckpointError, lambda: checkpoints.import_zip(stray.getvalue(), tmp_path)),
                (DataError, lambda: playground.points_from_upload(b"0.1,0.2\n")),
                (DataError, lambda: load_dataset(str(broken))),
                (DataError, lambda: load_dataset("no-such-dataset"))]
    for error, refuse in refusals:
        with pytest.raises(error) as refused:
            refuse()
        assert not english_in({str(refused.value)}, language), str(refused.value)
    speak("en")
    with pytest.raises(DataError, match="The file has 1 points; the playground needs"):
        playground.points_from_upload(b"0.1,0.2\n")


# --- the app in Vietnamese ----------------------------------------------------------------

def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}"):      # a chart's spec: its texts
            try:
                yield from _strings(json.loads(value))
                return
            except ValueError:
                pass
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def rendered_texts(at: AppTest) -> set[str]:
    """Every string the page sent to the browser: text, labels, help, options, chart titles."""
    found: set[str] = set()

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            found.update(s.strip() for s in _strings(MessageToDict(proto)) if s.strip())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def shows_english(message, text: str, *, whole: bool) -> bool:
    """Whether `text` is (`whole`) or holds `message` untranslated: its English, with at
    least one character of anything in place of each {placeholder}.

    Matched with str.find, linear in the text: the equivalent regular expression (parts
    joined by ".+?") backtracks for minutes on a long text with several placeholders, such
    as the 2D playground's chart data, which is why that page once seemed to hang here."""
    first, *others = PLACEHOLDER.split(source_text(message))
    if not others:
        return text == first if whole else first in text
    *middle, last = others
    if whole:
        if not text.startswith(first):
            return False
        end = len(first)
    else:
        start = text.find(first)
        if start < 0:
            return False
        end = start + len(first)
    for part in middle:     # each part at its earliest: if any placement fits, this one does
        start = text.find(part, end + 1)
        if start < 0:
            return False
        end = start + len(part)
    if whole:
        return text.endswith(last) and len(text) - len(last) > end
    return text.find(last, end + 1) >= 0


def english_left(at: AppTest, language: str) -> list[str]:
    """Catalog strings that a page shows in English although they have a translation."""
    return english_in(rendered_texts(at), language)


def english_in(texts: set[str], language: str) -> list[str]:
    """Catalog strings that `texts` hold in English although they have a translation.

    A short text counts when it is a whole text (a label, an option); a sentence also when
    it is part of one (a Markdown paragraph, a formatted message)."""
    found = []
    for message in entries(language):
        translation = message.string if isinstance(message.string, str) else message.string[0]
        if translation == source_text(message):
            continue                    # the same in both languages (names, formulas)
        words = re.findall(r"[A-Za-z]{2,}", PLACEHOLDER.sub("", source_text(message)))
        if PLACEHOLDER.search(source_text(message)) and len(words) < 2:
            continue                    # "{covered} of {total}" would match any "x of y"
        long = len(source_text(message).split()) >= 4
        if any(shows_english(message, text, whole=not long) for text in texts):
            found.append(source_text(message))
    return found


@pytest.fixture
def demo_models(isolated_checkpoints, tmp_path):
    """The shipped demo models in this test's checkpoint folder (the Models page lists them)."""
    helpers.demo_models(tmp_path / "checkpoints")




@pytest.mark.usefixtures("fresh_registry", "demo_models")
@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("app_page", list(PAGES), ids=lambda p: p.url_path)
def test_a_page_opened_in_another_language_shows_no_english(app_page, language, open_app):
    at = open_app(app_page, query={"lang": language})
    assert at.query_params["lang"] == language
    assert not english_left(at, language)


@pytest.mark.usefixtures("fresh_registry")
def test_the_language_switch_changes_the_language_and_the_url(open_app):
    at = open_app(query={"lang": "vi"})
    assert at.sidebar.selectbox[0].value == "vi"
    assert at.title[0].value == content.sections("home", "vi")["intro"].splitlines()[0][2:]
    at.sidebar.selectbox[0].set_value("en").run()
    assert at.query_params["lang"] == "en"
    assert at.session_state["language"] == "en"


def test_no_module_that_translates_reuses_the_name_of_underscore():
    """`x, _ = f()` inside a function makes `_` a local name there, and every `_("...")` in
    that function fails (UnboundLocalError) only when it runs."""
    import ast

    for path in [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"),
                 *ROOT.glob("ganlib/**/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not any(isinstance(node, ast.ImportFrom) and any(a.name == "_" for a in node.names)
                   for node in ast.walk(tree)):
            continue
        in_comprehension = {id(node) for comp in ast.walk(tree)
                            if isinstance(comp, (ast.ListComp, ast.SetComp, ast.DictComp,
                                                 ast.GeneratorExp))
                            for generator in comp.generators
                            for node in ast.walk(generator.target)}
        bound = [node.lineno for node in ast.walk(tree)
                 if isinstance(node, ast.Name) and node.id == "_"
                 and isinstance(node.ctx, ast.Store) and id(node) not in in_comprehension]
        assert not bound, f"{path.relative_to(ROOT)} binds _ on line(s) {bound}"


# --- the main states of a run, in another language ---------------------------------------

def run_on_train_page(open_app, run, key: str, language: str) -> AppTest:
    return open_app(PAGES.train, query={"lang": language},
                    session={state.RUN: run.run_id, state.KEY: key})


@pytest.mark.usefixtures("fresh_registry")
@pytest.mark.parametrize("language", TRANSLATED)
def test_the_train_page_speaks_while_training_and_when_finished(
        language, open_app, tiny_dataset, tiny_config):
    training, key = state.registry().start(
        lambda: TrainingRun(tiny_config(steps=None), dataset=tiny_dataset))
    assert training.wait_for(lambda s: s.step >= 2 and s.samples is not None, timeout=60)
    at = run_on_train_page(open_app, training, key, language)
    assert at.get("plotly_chart") and at.get("image")
    assert not english_left(at, language)
    training.stop(timeout=10)

    finished, key = state.registry().start(
        lambda: TrainingRun(tiny_config(steps=3), dataset=tiny_dataset))
    assert finished.wait(60)
    at = run_on_train_page(open_app, finished, key, language)
    assert at.success
    assert not english_left(at, language)


# A '.' as a decimal separator: "0.5", "13.2", "6.0e-4", but not the thousands of "1.400".
DOT_DECIMAL = re.compile(r"(?<![\d.])(?:0\.\d|\d+\.(?!\d{3}(?!\d))\d)")


def test_the_pattern_of_a_dot_decimal_tells_it_from_a_thousands_separator():
    assert [bool(DOT_DECIMAL.search(t)) for t in ("0.500", "13.2", "6.0e-4", "14,8", "1.400",
                                                   "12.345.678", "0,12", "3.1415")] == \
        [True, True, True, False, False, False, False, True]


@pytest.mark.usefixtures("fresh_registry", "demo_models")
def test_the_train_and_models_pages_write_numbers_as_vietnamese_does(
        open_app, tiny_dataset, tiny_config):
    run, key = state.registry().start(
        lambda: TrainingRun(tiny_config(steps=None), dataset=tiny_dataset))
    assert run.wait_for(lambda s: s.step >= 2, timeout=60)
    at = run_on_train_page(open_app, run, key, "vi")
    run.stop(timeout=10)
    metrics = [m.value for m in at.metric]
    assert len(metrics) == 5 and any("," in m for m in metrics)        # epoch, steps/s
    assert not [m for m in metrics if DOT_DECIMAL.search(m)]
    assert all('"separators":",."' in c.proto.spec.replace(" ", "")
               for c in at.get("plotly_chart"))
    at = open_app(PAGES.models, query={"lang": "vi"})
    cards = [m.value for m in at.markdown if "Kích thước:" in m.value]
    assert cards and not [c for c in cards if DOT_DECIMAL.search(c)]
    assert any(re.search(r"\d,\d MB", c) for c in cards)


@pytest.mark.usefixtures("fresh_registry")
def test_a_vietnamese_form_writes_decimals_with_a_comma_and_reads_them_back(open_app, speak):
    speak("vi")     # AppTest formats the menus' options again in the test's own thread
    at = open_app(PAGES.train, query={"lang": "vi"})
    assert [at.text_input(key=f"train-{name}").value for name in
            ("d_lr", "g_lr", "beta_1", "real_label")] == ["0,0006", "0,003", "0,5", "0,9"]
    at.text_input(key="train-g_lr").set_value("nhanh").run()
    assert "“nhanh”" in at.error[0].value and "0,0000001" in at.error[0].value
    assert at.text_input(key="train-g_lr").value == "0,003"            # the value it had
    at.text_input(key="train-g_lr").set_value("0,0005").run()
    assert not at.error and at.text_input(key="train-g_lr").value == "0,0005"
    at.number_input(key="train-batch_size").set_value(8)
    at.number_input(key="train-steps").set_value(1)
    at.button(key="train-start").click().run()
    assert state.registry().runs()[0].config.g_lr == 0.0005


@pytest.mark.usefixtures("fresh_registry")
def test_the_file_uploaders_own_words_are_in_the_pages_language(open_app):
    """Streamlit writes "Upload" and "50MB per file" in English; a style puts the page's
    words in their place (ui.i18n.file_uploader)."""
    styles = [e.proto.body for e in open_app(PAGES.models, query={"lang": "vi"}).get("html")]
    assert any("Tải lên" in s and "Tối đa 50 MB mỗi tệp • ZIP" in s
               and ".st-key-models-upload-0" in s for s in styles)
    assert not open_app(PAGES.models, query={"lang": "en"}).get("html")


@pytest.mark.usefixtures("fresh_registry")
@pytest.mark.parametrize("language", TRANSLATED)
def test_errors_are_shown_in_the_readers_language(language, open_app, speak):
    speak(language)     # AppTest formats the menus' options again in the test's own thread
    at = open_app(PAGES.train, query={"lang": language})
    assert not english_left(at, language)                     # idle: the settings form
    at.number_input(key="train-batch_size").set_value(None).run()
    assert at.error and not english_left(at, language)        # an empty field
    at.number_input(key="train-batch_size").set_value(4096).run()
    assert at.error and not english_left(at, language)        # out of range (ganlib's error)


@pytest.mark.usefixtures("fresh_registry")
@pytest.mark.parametrize("language", TRANSLATED)
def test_a_data_folder_that_cannot_be_used_is_refused_in_the_readers_language(
        language, open_app, speak, monkeypatch, tmp_path):
    speak(language)     # AppTest formats the menus' options again in the test's own thread
    monkeypatch.setenv("GANLIB_DATA_DIRS", str(tmp_path))
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken.npz").write_bytes(b"not a numpy archive")
    for path in (tmp_path / "empty", tmp_path / "broken.npz"):
        at = open_app(PAGES.train, query={"lang": language})
        at.selectbox(key="train-dataset").set_value("other").run()
        at.text_input(key="train-dataset_path").set_value(str(path)).run()
        at.button(key="train-start").click().run()
        assert at.error and not english_left(at, language), path.name
        assert not state.registry().runs()
