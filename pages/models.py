"""Models: the saved checkpoints, and what can be done with each one.

Every change (rename, delete, upload) runs in a widget callback, before the page redraws,
so the list below always shows the folder as it is now. Its message is kept in
`st.session_state[MESSAGE]` and shown once, beside the model it concerns.
"""

from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from ganlib.checkpoints import (MAX_UPLOAD_BYTES, BrokenCheckpoint, CheckpointInfo,
                                checkpoint_quota, checkpoint_root, delete_checkpoint,
                                export_zip, import_zip, list_checkpoints, load_checkpoint,
                                quota_used, read_info, rename_checkpoint, student_share, usage)
from ganlib.algorithms import ALGORITHM_LABELS
from ganlib.errors import GanlibError
from ganlib.training.core import Run
from ganlib.training.resume import resume_budget
from ganlib.training.runner import ResumeState
from ganlib.units import format_size
from ui import make_room, model_facts, roles, state
from ui.i18n import _, file_uploader, format_moment, format_number, ngettext
from ui.pages import PAGES, require_entry_point
from ui.roles import Action, may, require
from ui.text import plain
from ui.widgets import format_duration

require_entry_point()

MESSAGE = "models-message"          # (where, kind, text): where is a model's name, or a section
CONFIRM = "models-confirm-delete"   # the model whose deletion waits for "Yes, delete"
UPLOADS = "models-uploads"          # counts uploads: a new count is a new, empty uploader


# --- what a model card shows ---------------------------------------------------------------

def saved_at(created: datetime) -> str:
    """The save time in the browser's time zone (the server's when the browser's is unknown)."""
    try:
        zone = ZoneInfo(st.context.timezone) if st.context.timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    return format_moment(created.astimezone(zone))


def details(info: CheckpointInfo) -> str:
    config = info.config
    digits = ", ".join(map(str, config.digits)) if config.digits else _("all")
    return "  \n".join((
        _("**{algorithm}**, preset *{preset}*").format(
            algorithm=ALGORITHM_LABELS[config.algorithm], preset=plain(config.preset)),
        _("Data: {dataset}, classes {digits}").format(
            dataset=plain(config.dataset), digits=digits),   # config.json may be anyone's
        _("Trained: {steps} steps in {duration}").format(
            steps=format_number(info.step), duration=format_duration(info.elapsed_s)),
        _("Saved: {moment}").format(moment=saved_at(info.created)),
        _("Size: {size} · latent size {latent}").format(
            size=format_size(info.size_bytes), latent=config.latent_dim),
    ))


def say(where: str, kind: str, text: str) -> None:
    st.session_state[MESSAGE] = (where, kind, text)


def show_message(where: str) -> None:
    """The message of the last action, if it concerns `where`; shown once."""
    message = st.session_state.get(MESSAGE)
    if message and message[0] == where:
        del st.session_state[MESSAGE]
        {"success": st.success, "error": st.error}[message[1]](message[2])


# --- actions: callbacks, run before the page redraws ----------------------------------------

def check_may_manage(name: str) -> None:
    """Refuse (NotAllowed) unless this user may change model `name`: checked again in every
    callback, since a hidden button is no protection against a crafted request."""
    require(roles.current_owner(), Action.MANAGE_MODEL, read_info(name).owner)


def rename(name: str) -> None:
    new_name = st.session_state[f"models-name-{name}"].strip()
    try:
        check_may_manage(name)
        rename_checkpoint(name, new_name)
    except GanlibError as exc:
        say(name, "error", str(exc))
        return
    if st.session_state.get(state.MODEL) == name:
        st.session_state[state.MODEL] = new_name
    say(new_name, "success", _("Renamed '{old}' to '{new}'.").format(old=plain(name),
                                                                    new=plain(new_name)))


def ask_delete(name: str | None) -> None:
    """Ask to confirm the deletion of `name`; None cancels."""
    st.session_state[CONFIRM] = name


def delete(name: str) -> None:
    ask_delete(None)
    try:
        check_may_manage(name)
        delete_checkpoint(name)
    except GanlibError as exc:
        say(name, "error", str(exc))
        return
    say("top", "success", _("Deleted '{name}'.").format(name=plain(name)))


def upload(key: str) -> None:
    file = st.session_state[key]
    if file is None:
        return
    try:
        info = import_zip(file.getvalue(), owner=roles.current_owner().stored_owner)
    except GanlibError as exc:
        say("upload", "error", str(exc))
    else:
        say("upload", "success", _("Added '{name}' ({algorithm}, {steps} steps): it is in "
                                   "the list above.").format(
            name=plain(info.name), algorithm=info.algorithm.upper(),
            steps=format_number(info.step)))
    st.session_state[UPLOADS] = st.session_state.get(UPLOADS, 0) + 1


def resume_training(info: CheckpointInfo, extra_steps: int, replace: str | None = None) -> Run:
    """Start a run where the checkpoint left off, for `extra_steps` more, and follow it
    (`replace`: ui.make_room)."""
    config = resume_budget(info, more_steps=extra_steps)[0]
    return state.start_run(config, resume=ResumeState.from_checkpoint(load_checkpoint(info.name)),
                           replace=replace)


def model_card(info: CheckpointInfo) -> None:
    name = info.name
    with st.container(border=True):
        preview, about, actions = st.columns([1.1, 1.5, 1.7], gap="medium")
        if info.preview_png:
            preview.image(str(info.preview_png),
                          alt=_("Samples from the generator of {name} at step {step}").format(
                              name=name, step=format_number(info.step)))
        else:
            preview.caption(_("No preview was saved with this model."))
        with about:
            st.subheader(plain(name), anchor=False)
            st.markdown(details(info))
            st.markdown(model_facts.facts(info))
            model_facts.measure_button(info, say)
            if info.dataset_notice:
                st.caption(plain(info.dataset_notice))
        with actions:
            explore, download = st.columns(2)
            if explore.button(_("Open in explorer"), key=f"models-open-{name}", type="primary",
                              icon=":material/tune:", width="stretch"):
                st.session_state[state.MODEL] = name
                st.switch_page(PAGES.explorer.page())
            download.download_button(_("Download .zip"), partial(export_zip, name), f"{name}.zip",
                                     "application/zip", key=f"models-download-{name}",
                                     on_click="ignore", icon=":material/download:",
                                     width="stretch")
            steps, go_on = st.columns(2, vertical_alignment="bottom")
            extra = steps.number_input(_("More steps"), min_value=1, value=1000, step=100,
                                       key=f"models-extra-{name}")
            pressed = go_on.button(_("Resume training"), key=f"models-resume-{name}",
                                   icon=":material/play_arrow:", width="stretch")
            try:
                started = make_room.start_or_offer(
                    f"models-resume-{name}", pressed,
                    lambda replace: resume_training(info, int(extra), replace))
            except GanlibError as exc:              # TooManyRuns, DataError, CheckpointError
                st.error(str(exc))
            else:
                if started is not None:
                    st.switch_page(PAGES.train.page())
            if not may(roles.current_owner(), Action.MANAGE_MODEL, info.owner):
                st.caption(_("Only the teacher can rename or delete this model."))
                show_message(name)
                return
            new_name, rename_button = st.columns(2, vertical_alignment="bottom")
            new_name.text_input(_("New name"), value=name, key=f"models-name-{name}")
            rename_button.button(_("Rename"), key=f"models-rename-{name}", on_click=rename,
                                 args=(name,), icon=":material/edit:", width="stretch")
            if st.session_state.get(CONFIRM) == name:
                st.warning(_("Delete '{name}' for good? Its files are removed from the "
                             "server.").format(name=plain(name)))
                yes, no = st.columns(2)
                yes.button(_("Yes, delete {name}").format(name=plain(name)),
                           key=f"models-confirm-{name}", type="primary",
                           on_click=delete, args=(name,), width="stretch", wrap=True)
                no.button(_("Cancel"), key=f"models-cancel-{name}", on_click=ask_delete,
                          args=(None,), width="stretch")
            else:
                st.button(_("Delete"), key=f"models-delete-{name}", on_click=ask_delete,
                          args=(name,), icon=":material/delete:")
            show_message(name)


# --- the folder: what each person uses, and the folders that are no model ------------------

def quota_line() -> None:
    """How much of the space for models this user uses: a student their share, the teacher
    the whole quota (ganlib.checkpoints.space)."""
    me = roles.current_owner()
    if me.manages_everything:
        st.caption(_("The models on this server use {used} of their quota of {quota}.").format(
            used=format_size(quota_used()), quota=format_size(checkpoint_quota())))
    else:
        st.caption(_("Your models use {used} of your {share}: your saves and uploads must fit "
                     "in it.").format(used=format_size(usage(me.stored_owner)),
                                      share=format_size(student_share())))


def delete_broken(problem: BrokenCheckpoint) -> None:
    """Delete a folder that is no model: the teacher's to do (nobody owns a broken one)."""
    try:
        require(roles.current_owner(), Action.MANAGE_MODEL, None)
        delete_checkpoint(problem.path)
    except GanlibError as exc:
        say("broken", "error", str(exc))
        return
    say("broken", "success", _("Deleted '{name}'.").format(name=plain(problem.name)))


def broken_models(broken: list[BrokenCheckpoint]) -> None:
    """The folders that cannot be used as a model, by name, each with why; the teacher may
    delete each one here."""
    show_message("broken")
    if not broken:
        return
    st.warning(ngettext("**{count} folder here cannot be used as a model**, so it is not "
                        "listed. Delete it, or upload the model again:",
                        "**{count} folders here cannot be used as a model**, so they are not "
                        "listed. Delete them, or upload the models again:",
                        len(broken)).format(count=len(broken))
               + "\n\n" + "\n".join(f"- {plain(problem.reason)}" for problem in broken))
    if not roles.current_owner().manages_everything:
        return
    for problem in broken:
        st.button(_("Delete {name}").format(name=plain(problem.name)),
                  key=f"models-delete-broken-{problem.name}", on_click=delete_broken,
                  args=(problem,), icon=":material/delete:")


# --- the page ------------------------------------------------------------------------------

def introduction() -> str:
    """What the page is for; the server's folder only for whoever runs the server (the
    teacher, a lone user): a student has no use for a path on the teacher's laptop."""
    if roles.current_owner().manages_everything:
        return _("The models saved on this server, in `{folder}`. Open one in the Latent "
                 "explorer, train it further, or download it as a zip to use "
                 "elsewhere.").format(folder=checkpoint_root())
    return _("The models saved on this server. Open one in the Latent explorer, train it "
             "further, or download it as a zip to use elsewhere.")


st.title(_("Models"))
st.markdown(introduction())
quota_line()
show_message("top")
infos, broken = list_checkpoints()
broken_models(broken)
if not infos:
    st.info(_("No saved models yet. Train one on the **Train** page and press **Save**, or "
              "upload a model's zip below."), icon=":material/info:")
else:
    order = model_facts.sort_menu()
    for info in model_facts.in_order(infos, order):
        model_card(info)

st.subheader(_("Upload a model"))
uploader = f"models-upload-{st.session_state.get(UPLOADS, 0)}"
file_uploader(_("A zip downloaded from the Models page"), types=("zip",), key=uploader,
              on_change=upload, args=(uploader,),
              max_upload_mb=MAX_UPLOAD_BYTES // 2**20,      # Streamlit counts in MB
              help=_("It is checked before it is added: only a model's files, at most "
                     "{size}, loaded in Keras safe mode (no code in it runs).").format(
                  size=format_size(MAX_UPLOAD_BYTES)))
show_message("upload")
