"""Streamlit widgets shared by pages: the training-settings form and small formatters.

The settings form shows every hyperparameter the articles name, filled from a preset:
choosing another algorithm or preset resets the fields to that preset's values. It shows
only the fields that apply to the chosen algorithm, and leaves validation to
`ganlib.config.make_config`, whose messages already say what is allowed.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ganlib.algorithms import ALGORITHM_INFO, ALGORITHM_LABELS, ALGORITHMS
from ganlib.server.classroom import Action, may
from ganlib.config import (G_LOSSES, OPTIMIZERS, TrainConfig, field_help, float_range,
                           make_config, presets_for)
from ganlib.data import DIGIT_NAMES, FASHION_NAMES, allowed_data_roots, data_sources
from ganlib.errors import ConfigError
from ganlib.messages import shortened
from ganlib.units import format_setting, parse_setting
from ui import roles
from ui.i18n import N_, _
from ui.text import plain

OTHER_SOURCE = "other"     # the data menu's entry for a file or folder typed by hand

# The label of each numeric setting.
_NUMBERS: dict[str, str] = {
    "steps": N_("Steps (empty: until stopped)"),
    "batch_size": N_("Batch size"),
    "latent_dim": N_("Latent size (latent_dim)"),
    "seed": N_("Seed"),
    "ema_decay": N_("Averaged generator (ema_decay)"),
    "d_lr": N_("D learning rate (d_lr)"),
    "g_lr": N_("G learning rate (g_lr)"),
    "beta_1": N_("Adam beta_1"),
    "beta_2": N_("Adam beta_2"),
    "n_critic": N_("Critic updates per G update (n_critic)"),
    "clip_value": N_("Weight clip (clip_value)"),
    "gp_weight": N_("Gradient-penalty weight (gp_weight)"),
    "gp_every": N_("Penalty every k-th critic update (gp_every)"),
    "gp_fraction": N_("Share of the batch penalised (gp_fraction)"),
    "warmup_steps": N_("Warm-up steps (warmup_steps)"),
    "warmup_n_critic": N_("Critic updates in the warm-up (warmup_n_critic)"),
    "real_label": N_("Target for real (real_label)"),
    "fake_label": N_("Target for fake (fake_label)"),
}
# Those that are decimals: typed as text in the page's language (decimal_input); the others
# are whole numbers, in Streamlit's number field.
_DECIMALS = ("ema_decay", "d_lr", "g_lr", "beta_1", "beta_2", "clip_value", "gp_weight", "gp_fraction",
             "real_label", "fake_label")
_SHOWN = "decimal-inputs"  # session state: {widget key: (value, the text the field showed)}
# The settings every algorithm has, in the form's order.
_COMMON_FIELDS = ("dataset", "digits", "steps", "batch_size", "latent_dim", "seed", "ema_decay",
                  "optimizer", "d_lr", "g_lr", "beta_1", "beta_2")


def config_form(prefix: str) -> TrainConfig:
    """Draw the settings form and return the configuration it describes.

    Widget keys are f"{prefix}-{setting}" (e.g. "train-clip_value"), so two forms on one
    page do not collide. Raises ConfigError, with make_config's message, when the values
    are not a valid configuration: the caller shows it beside its Start button.
    """
    key = _keys(prefix)
    if key("algorithm") not in st.session_state:
        st.session_state[key("algorithm")] = ALGORITHMS[0]
        _load_preset(prefix, reset_preset=True)

    top = st.columns([2, 1, 3, 2], vertical_alignment="bottom")
    algorithm = top[0].selectbox(_("Algorithm"), ALGORITHMS, format_func=ALGORITHM_LABELS.get,
                                 key=key("algorithm"), on_change=_load_preset,
                                 args=(prefix, True), help=field_help("algorithm"))
    preset = top[1].selectbox(_("Preset"), presets_for(algorithm), key=key("preset"),
                              on_change=_load_preset, args=(prefix, False),
                              help=_("Choosing a preset resets every field below to its "
                                     "values.") + " " + field_help("preset"))
    values: dict[str, Any] = {}
    with top[2]:
        values["dataset"] = _dataset_field(key)
    names = FASHION_NAMES if "fashion" in values["dataset"] else DIGIT_NAMES
    values["digits"] = top[3].multiselect(_("Classes (empty: all)"), list(range(10)),
                                          format_func=lambda d: _(names[d]), key=key("digits"),
                                          placeholder=_("All classes"),
                                          help=field_help("digits"))

    rule = ALGORITHM_INFO[algorithm]
    st.markdown(f"**{_('Training')}**")
    row = st.columns(5, vertical_alignment="bottom")
    for column, name in zip(row, ("steps", "batch_size", "latent_dim", "seed", "ema_decay")):
        values[name] = _number(column, key, name)
    st.markdown(f"**{_('Optimiser')}**")
    row = st.columns(5, vertical_alignment="bottom")
    values["optimizer"] = row[0].selectbox(
        _("Optimiser"), OPTIMIZERS, key=key("optimizer"), help=field_help("optimizer"),
        format_func={"adam": "Adam", "rmsprop": "RMSprop"}.get)
    values["d_lr"] = _number(row[1], key, "d_lr",
                             label=_("{critic} learning rate (d_lr)").format(
                                 critic=rule.critic_abbrev))
    values["g_lr"] = _number(row[2], key, "g_lr")
    for column, name in zip(row[3:], ("beta_1", "beta_2")):
        values[name] = _number(column, key, name, disabled=values["optimizer"] != "adam")

    st.markdown(f"**{_(rule.settings_title)}**")
    row = st.columns(max(4, len(rule.settings)), vertical_alignment="bottom")
    for column, name in zip(row, rule.settings):
        if name == "g_loss":
            values[name] = column.selectbox(_("Generator loss"), G_LOSSES, key=key(name),
                                            help=field_help(name))
        else:
            values[name] = _number(column, key, name)
    return _build(algorithm, preset, values)


def fill_form(prefix: str, algorithm: str, preset: str, **settings: Any) -> None:
    """Set the form `prefix` to `preset`'s values, then `settings` (a link, ui.links, chose
    them); call before the form is drawn."""
    st.session_state[f"{prefix}-algorithm"] = algorithm
    st.session_state[f"{prefix}-preset"] = preset
    _load_preset(prefix, reset_preset=False)
    for name, value in settings.items():
        st.session_state[f"{prefix}-{name}"] = value


def setting_field(place, prefix: str, name: str, start: Any) -> Any:
    """One numeric setting's field outside the settings form (a challenge's entry), labelled,
    explained and read as in the form (decimals in the page's language), at `start` when it
    is first drawn. Its widget key is f"{prefix}-{name}"."""
    key = _keys(prefix)
    st.session_state.setdefault(key(name), start)
    return _number(place, key, name)


def decimal_input(place, label: str, key: str, *, lo: float, hi: float, help: str | None = None,
                  disabled: bool = False, width: int | str = "stretch") -> float:
    """A decimal setting as a text field in the page's language ("0,0002" in Vietnamese),
    its value returned as a float.

    Streamlit's number field writes decimals with a dot in every language ("0.500",
    "6.0e-4"), beside tables and charts that write "0,5". Here the caller puts the setting's
    number in `st.session_state[key]` (a preset, a link) before the first draw; the field
    shows it as text and reads back what a person types (ganlib.units.parse_setting: "0,0005"
    and "5e-4" alike). A text that is no number from `lo` to `hi` is refused in an error
    below the field's row, saying what was wrong, and the field goes back to the value it
    had: training never gets a number nobody meant.
    """
    shown = st.session_state.setdefault(_SHOWN, {})
    value, text = shown.get(key, (None, None))
    typed, problem = st.session_state.get(key), None
    if isinstance(typed, (int, float)) and not isinstance(typed, bool):
        value = float(typed)                 # set by a preset or a link
    elif typed is not None and typed != text:
        try:
            value = _read(label, typed, lo, hi, value)
        except ConfigError as exc:
            problem = str(exc)
    st.session_state[key] = format_setting(value)  # also rewrites it in a new language
    shown[key] = (value, st.session_state[key])
    place.text_input(label, key=key, help=help, disabled=disabled, width=width)
    if problem:
        st.error(problem)
    return value


def format_duration(seconds: float | None) -> str:
    """Seconds as "m:ss" or "h:mm:ss"; "—" when unknown."""
    if seconds is None:
        return "—"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# --- helpers ---------------------------------------------------------------------------

def _keys(prefix: str):
    return lambda name: f"{prefix}-{name}"


def _load_preset(prefix: str, reset_preset: bool) -> None:
    """Fill every field from the chosen preset (a widget callback: runs before the rerun)."""
    key = _keys(prefix)
    algorithm = st.session_state[key("algorithm")]
    if reset_preset or st.session_state.get(key("preset")) not in presets_for(algorithm):
        st.session_state[key("preset")] = presets_for(algorithm)[0]
    config = make_config(algorithm, st.session_state[key("preset")])
    every_setting = set(_COMMON_FIELDS).union(*(r.settings for r in ALGORITHM_INFO.values()))
    for name in every_setting - {"dataset"}:
        value = getattr(config, name)
        st.session_state[key(name)] = list(value) if name == "digits" else value
    sources = [s.source for s in data_sources()]
    st.session_state[key("dataset")] = config.dataset if config.dataset in sources else OTHER_SOURCE
    st.session_state[key("dataset_path")] = "" if config.dataset in sources else config.dataset


def _dataset_field(key) -> str:
    """The data menu, plus a path field for a file or folder on the server."""
    labels = {s.source: s.label for s in data_sources()}
    if may(roles.current_owner(), Action.SERVER_PATHS):     # students: the menu only
        labels[OTHER_SOURCE] = N_("A file or folder on the server (.npz, .zip, images, IDX)…")
    source = st.selectbox(_("Dataset"), list(labels), format_func=lambda s: _(labels[s]),
                          key=key("dataset"),
                          help=field_help("dataset"))
    if source != OTHER_SOURCE:
        return source
    folders = ", ".join(f"`{folder}`" for folder in allowed_data_roots()) or _("none")
    return st.text_input(_("Path on the server"), key=key("dataset_path"),
                         placeholder="/data/my_digits.npz",
                         help=_("Only files and folders inside the data folders this server "
                                "allows can be used: {folders}.").format(
                             folders=folders)).strip()


def _read(label: str, typed: str, lo: float, hi: float, previous: float) -> float:
    """The number `typed` into the setting `label`; a ConfigError saying what was wrong and
    what to do when it is none from `lo` to `hi`."""
    limits = dict(field=label, typed=plain(shortened(typed)), lo=format_setting(lo),
                  hi=format_setting(hi), previous=format_setting(previous))
    if not typed.strip():
        raise ConfigError(_("{field} is empty. Type a number from {lo} to {hi}; the field keeps "
                            "{previous}.").format(**limits))
    try:
        value = parse_setting(typed)
    except ValueError:
        raise ConfigError(_("{field}: “{typed}” is not a number. Type one from {lo} to {hi}, "
                            "written like {previous} (the value the field keeps).").format(
                                **limits)) from None
    if not lo <= value <= hi:
        raise ConfigError(_("{field}: {typed} is outside {lo} to {hi}. Type a number in that "
                            "range; the field keeps {previous}.").format(**limits))
    return value


def _number(column, key, name: str, label: str | None = None, disabled: bool = False):
    label = label or _(_NUMBERS[name])
    if name in _DECIMALS:
        lo, hi = float_range(name)
        return decimal_input(column, label, key(name), lo=lo, hi=hi, help=field_help(name),
                             disabled=disabled)
    return column.number_input(label, value=None, step=1, format="%d", key=key(name),
                               help=field_help(name), disabled=disabled,
                               placeholder=_("until stopped") if name == "steps"
                               else _("required"))


def _build(algorithm: str, preset: str, values: dict[str, Any]) -> TrainConfig:
    """make_config with the form's values; an empty field (other than steps) is an error."""
    empty = [_(_NUMBERS[n]) for n, v in values.items() if v is None and n != "steps"]
    if empty:
        raise ConfigError(_("{fields}: empty. Type a number, or choose the preset again to "
                            "restore its values.").format(fields=", ".join(empty)))
    if not values["dataset"]:
        raise ConfigError(_("Type the path of a data file or folder on the server, or choose "
                            "one of the listed datasets."))
    config = make_config(algorithm, preset, **values)
    return config.replace(steps=None) if values["steps"] is None else config
