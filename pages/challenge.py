"""Class challenge: the lecturer opens it, every student enters, the board ranks the entries.

The lecturer (only they) opens a challenge from a preset, closes it, hides a name, removes an
entry, renames a student and downloads the board. A student picks a display name and submits
entries with the settings the challenge leaves open, and sees each entry's place in the queue
and an honest wait. The board (best entry per student) redraws every second for everyone,
and in presenter view (?present=1) it is all the page shows. When the lecturer shows it to
the class, followers' tabs come here, as they go to a presented run (ui.following). Every rule is checked again on
the server (ganlib.server.challenge): a hidden button is no protection.
"""

import time

import streamlit as st

from ganlib.algorithms import ALGORITHM_LABELS
from ganlib.challenge import (CHALLENGE_PRESETS, CHANGEABLE, GOAL_MAX, NAME_MAX, SCORE_SAMPLES,
                              TITLE_MAX,
                              BoardRow, ChallengeSpec, EntryStatus, open_spec, settings_text)
from ganlib.errors import GanlibError
from ui import challenge, following, presenter, roles, state
from ui.i18n import _, format_number, ngettext
from ui.pages import PAGES, require_entry_point
from ui.text import plain
from ui.widgets import format_duration, setting_field

require_entry_point()
following.keep_up(PAGES.challenge, redraw=False)     # a follower: what the teacher presents

MESSAGE = "challenge-message"     # (kind, text): the outcome of the last action
CARDS_PER_ROW = 3                  # the projector's board: entries side by side


def say(kind: str, text: str) -> None:
    st.session_state[MESSAGE] = (kind, text)


def attempt(action, success: str | None = None) -> bool:
    """Run a host action; its refusal (NotAllowed, ChallengeError, ConfigError) is shown.
    Whether it was done."""
    try:
        action()
    except GanlibError as exc:
        say("error", str(exc))
        return False
    if success:
        say("success", success)
    return True


def attempted(action, success: str) -> None:
    """`attempt` from a form in the page's body: once done, the page is drawn again from
    the top, so that what changed (a challenge opened) shows everywhere at once."""
    if attempt(action, success):
        st.rerun()


# --- the lecturer ------------------------------------------------------------------------

def open_form() -> None:
    """The lecturer's form: a preset, then what to change of it."""
    names = list(CHALLENGE_PRESETS)
    chosen = st.selectbox(_("Lesson"), names, key="challenge-preset",
                          format_func=lambda n: _(CHALLENGE_PRESETS[n].title))
    preset = CHALLENGE_PRESETS[chosen]
    with st.form(f"challenge-open-{chosen}"):
        title = st.text_input(_("Title"), value=_(preset.title), max_chars=TITLE_MAX)
        goal = st.text_area(_("Goal"), value=_(preset.goal), max_chars=GOAL_MAX)
        algorithms = st.multiselect(_("Algorithms students may use"), list(preset.bases),
                                    default=list(preset.bases),
                                    format_func=lambda a: ALGORITHM_LABELS[a])
        changeable = st.multiselect(_("Settings students may change"), list(CHANGEABLE),
                                    default=list(preset.changeable))
        budget, entries, minutes = st.columns(3)
        budget_images = budget.number_input(
            _("Budget per entry (images seen)"), min_value=1_000, max_value=10_000_000,
            value=preset.budget_images, step=1_000,
            help=_("Work, not time: an entry that waits or trains beside others does the "
                   "same work and gets the same score."))
        per_student = entries.number_input(_("Entries per student"), min_value=1,
                                           max_value=20, value=3)
        length = minutes.number_input(_("Minutes until the bell"), min_value=1,
                                      max_value=600, value=preset.minutes)
        if st.form_submit_button(_("Open the challenge"), type="primary"):
            attempted(lambda: challenge.host().open(roles.current_owner(), open_spec(
                chosen, ends_at=time.time() + 60 * length,
                # Unchanged, the preset's own: each student reads it in their language.
                title=None if title == _(preset.title) else title,
                goal=None if goal == _(preset.goal) else goal,
                algorithms=algorithms, changeable=changeable,
                budget_images=int(budget_images), entries_per_student=int(per_student))),
                _("The challenge is open."))


def lecturer_tools(spec: ChallengeSpec | None) -> None:
    host = challenge.host()
    if spec is not None:
        if challenge.board_presented():
            st.caption(_("The class follows this board."))
        else:
            st.button(_("Show the board to the class"), key="challenge-present",
                      icon=":material/cast_for_education:", on_click=challenge.present_board,
                      help=_("Students who follow you come to this page, until you show "
                             "them a run or a comparison."))
    if spec is not None and spec.open_at(time.time()):
        st.button(_("Ring the bell now"), key="challenge-close", icon=":material/alarm:",
                  on_click=attempt, args=(lambda: host.close(roles.current_owner()),))
        return
    with st.expander(_("Open a challenge"), expanded=spec is None):
        open_form()


# --- students ------------------------------------------------------------------------------

def on_my_own() -> None:
    """A student who works on their own entry is not taken away by the lecturer's next demo
    (as one who starts their own comparison is not)."""
    st.session_state.pop(state.FOLLOW, None)
    st.query_params.pop("follow", None)


def name_form() -> None:
    host = challenge.host()
    me = roles.current_owner()
    with st.form("challenge-name", border=False):
        name = st.text_input(_("Your name on the board"), value=host.name_of(me.id),
                             max_chars=NAME_MAX)
        if st.form_submit_button(_("Use this name")):
            on_my_own()
            attempted(lambda: host.set_name(me, name), _("Your name is set."))


def entry_form(spec: ChallengeSpec) -> None:
    host = challenge.host()
    me = roles.current_owner()
    left = host.entries_left(me.id)
    if not spec.open_at(time.time()):
        st.info(_("The challenge has ended: no more entries."), icon=":material/alarm:")
        return
    if not me.manages_everything and left < 1:
        st.info(_("You have used all your entries."), icon=":material/check:")
        return
    algorithm = st.selectbox(_("Algorithm"), spec.algorithms, key="challenge-algorithm",
                             format_func=lambda a: ALGORITHM_LABELS[a])
    base = spec.base_config(algorithm)
    with st.form(f"challenge-entry-{algorithm}"):
        changes = {}
        for column, name in zip(st.columns(3) * 3, spec.settings_for(algorithm)):
            changes[name] = setting_field(column, f"challenge-{algorithm}", name,
                                          getattr(base, name))
        changed = {k: v for k, v in changes.items() if v != getattr(base, k)}
        if st.form_submit_button(_("Submit my entry"), type="primary"):
            on_my_own()
            attempted(lambda: host.submit(me, algorithm, changed),
                    _("Your entry is in the queue."))
    if not me.manages_everything:
        st.caption(ngettext("{count} entry left.", "{count} entries left.", left).format(
            count=left))


@st.fragment(run_every=1.0)
def my_entries() -> None:
    """The student's entries, each with its status, place in the queue and wait: live."""
    me = roles.current_owner()
    for place in challenge.host().places(me.id):
        entry = place.entry
        line = f"{settings_text(entry)} · {_(entry.status)}"
        if entry.quality is not None:
            line += " · " + challenge.score_text(entry, challenge.host().spec.scoring)
        if place.position is not None:
            line += " · " + _("place {place} in the queue, starts in {wait}").format(
                place=place.position, wait=challenge.wait_words(place.wait_s))
        cols = st.columns([4, 1], vertical_alignment="center")
        cols[0].markdown(plain(line))
        if entry.note:
            cols[0].caption(plain(entry.note))
        run = challenge.host().run_of(entry)
        button = cols[1].empty()        # drawn every time: the button goes when it ends
        if run is not None and entry.status is EntryStatus.RUNNING:
            if button.button(_("Watch it train"), key=f"challenge-watch-{entry.entry_id}"):
                state.follow(run, None)
                st.switch_page(PAGES.train.page())


# --- the board -----------------------------------------------------------------------------

def open_in_explorer(model: str) -> None:
    state.remember_model(model)
    st.switch_page(PAGES.explorer.page())


def board_card(row: BoardRow, spec: ChallengeSpec) -> None:
    """One entry on the projector, small enough that three go in a row and the first nine
    fit a 1280 x 720 screen. The projector is the class's view: a hidden name stays hidden
    there, even though the lecturer's browser draws it."""
    entry = row.entry
    with st.container(border=True):
        picture, about = st.columns([2, 3], vertical_alignment="center")
        if (png := challenge.host().thumbnail(entry.entry_id)) is not None:
            picture.image(png, width="stretch")
        name = _("(name hidden)") if row.hidden else plain(row.name)
        about.markdown(f"#### {row.place}. {name}\n\n"
                       f"{challenge.score_text(entry, spec.scoring)}")
        about.caption(plain(settings_text(entry)))


def board_row(row: BoardRow, spec: ChallengeSpec, lecturer: bool) -> None:
    host = challenge.host()
    entry = row.entry
    with st.container(border=True):
        place, picture, about, actions = st.columns([1, 1, 5, 3], vertical_alignment="center")
        place.markdown(f"### {row.place}")
        if (png := host.thumbnail(entry.entry_id)) is not None:
            picture.image(png, width="stretch")
        name = plain(row.name) if lecturer or not row.hidden else _("(name hidden)")
        if lecturer and row.hidden:
            name += " · " + _("hidden from the class")
        about.markdown(f"**{name}**  \n{plain(settings_text(entry))}  \n"
                       f"{challenge.score_text(entry, spec.scoring)}")
        if entry.model and actions.button(_("Open in explorer"), icon=":material/tune:",
                                          key=f"challenge-explore-{entry.entry_id}"):
            open_in_explorer(entry.model)
        if not lecturer:
            return
        me = roles.current_owner()
        hide, remove = actions.columns(2)
        hide.button(_("Show name") if row.hidden else _("Hide name"),
                    key=f"challenge-hide-{entry.entry_id}", on_click=attempt,
                    args=(lambda: host.hide(me, entry.student_id, not row.hidden),))
        remove.button(_("Remove"), key=f"challenge-remove-{entry.entry_id}", on_click=attempt,
                      args=(lambda: host.remove(me, entry.entry_id),))
        with actions.popover(_("Rename")):
            new = st.text_input(_("New name"), key=f"challenge-rename-{entry.entry_id}",
                                max_chars=NAME_MAX)
            st.button(_("Rename"), key=f"challenge-do-rename-{entry.entry_id}",
                      on_click=attempt,
                      args=(lambda: host.set_name(me, st.session_state.get(
                          f"challenge-rename-{entry.entry_id}", new), entry.student_id),))


def phase(spec: ChallengeSpec | None) -> tuple[ChallengeSpec | None, bool]:
    """What the page's forms depend on: which challenge, and whether it takes entries."""
    return spec, spec is not None and spec.open_at(time.time())


@st.fragment(run_every=1.0)
def board(drawn: tuple[ChallengeSpec | None, bool]) -> None:
    """The board, redrawn every second: an entry's end shows within a second or two. When
    a challenge opens or its bell rings (`drawn`: the phase the page was drawn in), the
    whole page is drawn again, so that its forms say so without a reload."""
    following.keep_up(PAGES.challenge)      # the teacher presents a job now: go there
    host = challenge.host()
    spec = host.spec
    if phase(spec) != drawn:
        st.rerun(scope="app")
    if spec is None:
        return
    lecturer = roles.current_owner().manages_everything
    now = time.time()
    entries = host.entries()
    training = sum(e.status is EntryStatus.RUNNING for e in entries)
    waiting = sum(e.status is EntryStatus.QUEUED for e in entries)
    if spec.open_at(now):
        status = _("Ends in {time}.").format(time=format_duration(spec.ends_at - now))
    elif host.final:
        status = _("The challenge has ended. Final board.")
    else:
        status = _("The bell has rung; entries submitted before it still count.")
    st.markdown(f"**{status}** " + _("{training} training, {waiting} waiting.").format(
        training=training, waiting=waiting))
    rows = host.board()
    if not rows:
        st.info(_("No entry is scored yet: the board fills as entries finish."),
                icon=":material/leaderboard:")
        return
    if lecturer and not presenter.active():
        st.download_button(_("Download the board (CSV)"), host.board_csv(),
                           "challenge-board.csv", "text/csv", on_click="ignore",
                           icon=":material/download:", key="challenge-csv")
    if not presenter.active():
        for row in rows:
            board_row(row, spec, lecturer)
        return
    for first in range(0, len(rows), CARDS_PER_ROW):
        for column, row in zip(st.columns(CARDS_PER_ROW), rows[first:first + CARDS_PER_ROW]):
            with column:
                board_card(row, spec)


# --- the page -------------------------------------------------------------------------------

host = challenge.host()
spec = host.spec
drawn = phase(spec)          # the fragment below redraws the page when this changes
me = roles.current_owner()
st.title(plain(_(spec.title)) if spec else _("Class challenge"))
if spec is not None:
    st.markdown(plain(_(spec.goal)))
    st.caption(_("Budget: {images} images seen per entry · algorithms: {algorithms} · all "
                 "entries scored on the same {samples} samples.").format(
        images=format_number(spec.budget_images),
        algorithms=", ".join(a.upper() for a in spec.algorithms), samples=SCORE_SAMPLES))
if host.problem and me.manages_everything:
    st.warning(host.problem)
notice = st.container()          # filled last: what the forms below just did
if not presenter.active():
    if me.manages_everything:
        lecturer_tools(spec)
    if spec is None:
        if not me.manages_everything:
            st.info(_("There is no challenge now: the lecturer opens one."),
                    icon=":material/emoji_events:")
    else:
        with st.expander(_("Your entries"), expanded=True):
            name_form()
            entry_form(spec)
            my_entries()
board(drawn)
if (message := st.session_state.pop(MESSAGE, None)) is not None:
    {"success": notice.success, "error": notice.error}[message[0]](message[1])
