"""The app as a browser meets it: `streamlit run app.py` on a local port, and Chromium to open it.

This is the one launcher of the real app server. The browser tests (through tests/helpers.py),
the soak test (scripts/soak.py), the Compare screenshots (scripts/compare_screenshots.py) and
the benchmarks (benchmarks/watching.py, benchmarks/watchers.py) all start the app with it. It
lives in scripts/, beside the tools that use it, rather than under tests/: the scripts and the
benchmarks are run on their own (`python -m scripts.soak`, `python -m benchmarks`) and must
not depend on the test suite, while the tests may use the scripts' modules.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# Debian's Chromium (apt-get install chromium); Playwright's own browser download is never used.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The flags Chromium needs as root in a container with no network to talk to.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
# The shipped demo models (checkpoints/<name>-demo), which a fresh server offers.
DEMO_MODELS = "*-demo"


def free_port() -> int:
    """A TCP port nothing listens on now (another server may be running on the usual one)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def demo_models(folder: Path, root: Path = ROOT) -> Path:
    """`folder`, created, holding a copy of the shipped demo models of the app in `root`:
    a server given it starts as a fresh install does, and never writes into the checkout."""
    folder.mkdir(parents=True, exist_ok=True)
    for demo in (root / "checkpoints").glob(DEMO_MODELS):
        shutil.copytree(demo, folder / demo.name)
    return folder


class AppServer:
    """`streamlit run app.py` of the app in `root`, on 127.0.0.1, as a context manager: entered
    once /_stcore/health answers, stopped on exit.

    Its models are in `checkpoints` ($GANLIB_CHECKPOINTS) and its output goes to `log`; left
    out, each is a temporary one removed with the server (a server must never write into the
    checkout's checkpoints/). `env` is added to this process's environment, `port` is a free
    one unless given, and `cpus` ("0") pins the server to those cores with `taskset`, so that
    a measurement can keep other work off them.
    """

    def __init__(self, checkpoints: Path | None = None, log: Path | None = None,
                 env: Mapping[str, str] | None = None, *, port: int | None = None,
                 root: Path = ROOT, cpus: str | None = None, start_timeout_s: float = 180.0):
        self._scratch = tempfile.TemporaryDirectory(prefix="app-server-")
        scratch = Path(self._scratch.name)
        self.checkpoints = checkpoints or scratch / "checkpoints"
        self.log = log or scratch / "streamlit.log"
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.root, self.cpus, self.start_timeout_s = root, cpus, start_timeout_s
        self.env = {**os.environ, "GANLIB_CHECKPOINTS": str(self.checkpoints),
                    "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> AppServer:
        pin = ["taskset", "-c", self.cpus] if self.cpus is not None else []
        with self.log.open("w") as out:          # the child keeps its own handle on the file
            self.process = subprocess.Popen(
                [*pin, sys.executable, "-m", "streamlit", "run", "app.py",
                 "--server.headless", "true", "--server.port", str(self.port),
                 "--server.address", HOST, "--browser.gatherUsageStats", "false"],
                cwd=self.root, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.start_timeout_s
        while not self.healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                why = ("exited" if self.process.returncode is not None
                       else f"did not answer within {self.start_timeout_s:g} s")
                raise RuntimeError(f"The app server on {self.url} {why}; the end of its log:\n"
                                   f"{self.log_text()[-3000:]}")
            time.sleep(0.25)                     # (polling its health, not waiting blind)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def healthy(self) -> bool:
        """Whether the server answers its health check now."""
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def terminate(self, timeout: float = 120) -> int:
        """SIGTERM, as a service manager (or Ctrl-C) would, and wait for the exit (the active
        runs are autosaved first); its exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self, timeout: float = 30) -> None:
        """Terminate the server, kill it if it has not exited within `timeout` seconds, and
        remove the temporary folder."""
        if self.process is not None and self.process.poll() is None:
            try:
                self.terminate(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._scratch.cleanup()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def settled(page) -> None:
    """Connected, and the script run (not the fragments' timers) has finished."""
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")
    page.wait_for_selector("[data-test-script-state='notRunning']", state="attached")
