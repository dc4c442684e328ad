"""Digits drawn in the student's browser: the generator as files, and the element that runs it.

The Latent explorer and the Interpolation page move z with sliders. Drawn by the server, each
move was a rerun of the whole page on the teacher's laptop, and a Streamlit slider reports only
when it is let go, so nothing moved while dragging. Our generators are small (the Quick one
is 1.9 M multiply-adds an image), so instead the page hands the browser the generator's
weights (`ganlib.browser_export`, written once per model and step under static/models/ and
served by Streamlit's static serving) and mounts `static/gan/<page>.js` modules (served
from a copy named by their content, `_modules_url`), which run
the generator in a Web Worker and redraw while a slider moves. The server hears the state
only when the moving stops (docs/decisions.md, "Digits drawn in the browser").

The pages fall back to drawing on the server, with a short note, when the generator has a
layer the browser's runner lacks, when the browser reports that it cannot run it (no module
Web Workers, the files would not load), or when the admin sets the setting `digits` to "server" (ganlib.settings).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from ganlib.browser_export import Exported, ExportStore, UnsupportedNetwork
from ganlib.messages import current_language
from ganlib.metrics import classifier_for
from ganlib.sampling import Sampler
from ui import server_settings
from ui.i18n import _

# Streamlit serves static/ beside app.py at app/static/ (.streamlit/config.toml).
STATIC = Path(__file__).resolve().parent.parent / "static"
MODULES = STATIC / "gan"                # the runner and the pages' modules (in git)
STORE = ExportStore(STATIC / "models")  # the exported networks (ignored by git)
OFF = "browser_generator_off"           # session state: why this browser draws on the server


@dataclass(frozen=True)
class BrowserModels:
    """Where the browser finds the networks, relative to the page."""

    generator: str
    classifier: str | None


def browser_models(sampler: Sampler, with_classifier: bool) -> BrowserModels | None:
    """The networks' addresses when this page draws its digits in the browser, else None
    (after a short note that says why the server draws them)."""
    if server_settings.current().digits == "server":
        return None
    if st.session_state.get(OFF):
        st.caption(_("Your browser cannot run the generator ({reason}), so the server draws "
                     "the digits: they change when you let go of a slider.").format(
                         reason=st.session_state[OFF]))
        return None
    try:
        generator = _url(_generator_export(sampler))
        classifier = _classifier_url(sampler.config.dataset) if with_classifier else None
    except UnsupportedNetwork as exc:
        st.caption(_("This generator is drawn by the server, not in your browser: {reason} "
                     "The digits change when you let go of a slider.").format(reason=exc))
        return None
    return BrowserModels(generator, classifier)


_exports: weakref.WeakKeyDictionary[Sampler, tuple[int, Exported]] = weakref.WeakKeyDictionary()
_classifiers: dict[str, Exported] = {}
_lock = threading.Lock()


def _generator_export(sampler: Sampler) -> Exported:
    """The sampler's generator on disk at its step, exported at most once per step (and again
    if the store swept it meanwhile)."""
    with _lock:
        known = _exports.get(sampler)
    if known and known[0] == sampler.step and _present(known[1]):
        return known[1]
    exported = sampler.export_for_browser(STORE)
    with _lock:
        _exports[sampler] = (sampler.step, exported)
    return exported


def _classifier_url(dataset: str) -> str | None:
    classifier = classifier_for(dataset)
    if classifier is None:
        return None
    with _lock:
        known = _classifiers.get(classifier.name)
        if known is None or not _present(known):
            known = _classifiers[classifier.name] = STORE.export(
                classifier.model, f"classifier-{classifier.name}", 0)
    return _url(known)


def _present(exported: Exported) -> bool:
    return (exported.folder / f"{exported.name}.json").is_file()


def _url(exported: Exported) -> str:
    """The address of an export's description, relative to the page (as the live feed's)."""
    path = (exported.folder / f"{exported.name}.json").relative_to(STATIC).as_posix()
    return f"app/static/{path}"


@functools.cache
def _modules_url() -> str:
    """Where the browser loads the modules from: a copy of static/gan/ under
    static/models/gan-<digest of the files>/, made once per version of them.

    Streamlit serves static files without Cache-Control, so a browser may keep using a module
    it cached for days (a tenth of the file's age); after an update of the app it would run
    old modules against new data. A folder named by the content never serves an old file.
    """
    files = sorted(MODULES.glob("*.js"))
    digest = hashlib.sha256(b"".join(f.name.encode() + f.read_bytes() for f in files))
    folder = STORE.root / f"gan-{digest.hexdigest()[:12]}"
    if not folder.is_dir():
        STORE.root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".tmp-", dir=STORE.root))
        for file in files:
            shutil.copy2(file, scratch / file.name)
        try:
            scratch.rename(folder)
        except OSError:                  # another server process copied them first
            shutil.rmtree(scratch, ignore_errors=True)
    return f"app/static/{folder.relative_to(STATIC).as_posix()}"


def floats(array: np.ndarray, dtype: str = "<f4") -> str:
    """Numbers for the browser, exactly: base64 of their little-endian bytes (float32, or
    "<f8" for float64), a quarter of the size of JSON's decimals."""
    return base64.b64encode(np.ascontiguousarray(array, dtype).tobytes()).decode("ascii")


_VIEW = st.components.v2.component(
    "gan_classroom.browser_view", isolate_styles=False,
    js=Path(__file__).with_name("browser_view.js").read_text(encoding="utf-8"),
    css=Path(__file__).with_name("browser_view.css").read_text(encoding="utf-8"))


def mount(module: str, part: str, key: str, data: dict | None = None,
          on_sync: Callable[[], None] | None = None) -> None:
    """Mount `static/gan/<module>` as the element keyed `key`, drawing `part` of its page with
    `data`. `on_sync` runs when the browser reports a new state (a drag's end); a report
    that the browser cannot run the generator switches this session to the server's drawing."""
    callbacks = {"on_failed_change": functools.partial(_cannot, key)}
    if on_sync is not None:
        callbacks["on_sync_change"] = on_sync
    _VIEW(key=key, width="stretch",
          data={"module": f"{_modules_url()}/{module}", "part": part,
                "lang": current_language(),
                **(data or {})},
          **callbacks)


def report(key: str, name: str):
    """What the element keyed `key` reported as `name`, or None. Every part of a page reports
    a failure; after the first, the page draws on the server and the others' elements are
    gone, with their state."""
    values = st.session_state.get(key)
    return values.get(name) if values is not None else None


def _cannot(key: str) -> None:
    """The browser's report, "unsupported" or what went wrong loading, as a reason to show."""
    failed = report(key, "failed")
    st.session_state[OFF] = (_("it has no module Web Workers") if failed == "unsupported"
                             else _("the generator's files did not load"))


def fell_back() -> bool:
    """Whether the browser just said it cannot draw: a fragment must rerun the whole page."""
    return bool(st.session_state.get(OFF))
