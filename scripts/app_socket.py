"""A browser tab without a browser: the app's own websocket protocol, spoken from Python.

What the frontend sends (`rerun_script` with widget states) and what it reads back (the
elements the server draws), on Streamlit's websocket (/_stcore/stream, subprotocol
`streamlit`). Anything a client sends is input, so this is how the tests craft messages a
clever student sends (tests/test_crafted_messages.py), and how the class soak
(scripts/class_soak.py) plays students far lighter than a Chromium tab each. It lives in
scripts/, beside the app-server launcher, for the same reason: the scripts must not depend on
the test suite, while the tests may use the scripts' modules.

Needs `websockets` (requirements-dev.txt).
"""

from __future__ import annotations

from websockets.sync.client import connect
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

XSRF_COOKIE = "_streamlit_xsrf"     # the app takes a browser's id from it (ui.roles)


class Tab:
    """One browser tab: its cookie is its browser id (ui.roles; None: a client that sends
    none, a new browser to the app on every connection), `show` runs a page. Every wait for
    the server gives up after `timeout_s` (TimeoutError)."""

    def __init__(self, url: str, cookie: str | None, timeout_s: float = 90.0):
        headers = {"Cookie": f"{XSRF_COOKIE}={cookie}"} if cookie else {}
        self.socket = connect(f"{url.replace('http', 'ws', 1)}/_stcore/stream",
                              subprotocols=["streamlit"], additional_headers=headers,
                              open_timeout=timeout_s)
        self.timeout_s = timeout_s
        self.elements: list[object] = []
        self.session_id = ""

    def send(self, message: BackMsg) -> None:
        self.socket.send(message.SerializeToString())

    def receive(self) -> ForwardMsg:
        message = ForwardMsg()
        message.ParseFromString(self.socket.recv(timeout=self.timeout_s))
        if message.WhichOneof("type") == "new_session":
            self.session_id = message.new_session.initialize.session_id
        return message

    def show(self, page: str = "", query: str = "", **widgets: dict[str, object]) -> Tab:
        """Run `page` ("" is Home) with the query string `query` and `widgets` (by label, key
        or id) set, as a click or an entry would; keep the elements it draws."""
        self.ask(page, query, **widgets)
        return self.drawn()

    def ask(self, page: str = "", query: str = "", **widgets: dict[str, object]) -> None:
        """Send what `show` sends, without waiting: two tabs can ask at the same moment,
        then read their pages (`drawn`)."""
        message = BackMsg()
        message.rerun_script.page_name = page
        message.rerun_script.query_string = query
        ids = self.ids()
        message.rerun_script.widget_states.widgets.extend(
            WidgetState(id=ids.get(name, name), **value) for name, value in widgets.items())
        self.send(message)

    def drawn(self) -> Tab:
        """Read the page the last `ask` ran, up to the end of its script run: of the run
        that ends it, when a run stops early for another (`st.switch_page`, `st.rerun`)."""
        self.elements = []
        while True:
            answer = self.receive()
            kind = answer.WhichOneof("type")
            if kind == "script_finished":
                if answer.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    return self
                self.elements = []                  # the next run draws the page anew
            elif kind == "delta" and answer.delta.WhichOneof("type") == "new_element":
                element = answer.delta.new_element
                self.elements.append(getattr(element, element.WhichOneof("type")))

    def ids(self) -> dict[str, str]:
        """The drawn widgets' ids by label and by key ("$$ID-<hash>-<key>")."""
        found = {}
        for element in self.elements:
            if getattr(element, "id", ""):
                found[element.id.split("-", 2)[-1]] = element.id
                if label := getattr(element, "label", ""):      # (an iframe has none)
                    found[label] = element.id
        return found

    def text(self) -> str:
        return "\n".join(getattr(e, "body", "") for e in self.elements)

    def sign_in(self, passcode: str) -> str:
        self.show()
        return self.show(**{"Teacher passcode": {"string_value": passcode},
                            "Sign in": {"trigger_value": True}}).text()

    def clear_cache(self) -> None:
        """Streamlit's "clear cache" message, which reset the classroom once
        (docs/decisions.md, "The classroom's state is the process's, not a cache")."""
        message = BackMsg()
        message.clear_cache = True
        self.send(message)

    def heartbeat(self) -> None:
        """Wait until the server has handled everything sent before (it answers in order):
        it is up, and this socket open."""
        message = BackMsg()
        message.app_heartbeat = True
        self.send(message)
        while not self.receive().heartbeat_ack:
            pass

    def close(self) -> None:
        self.socket.close()
