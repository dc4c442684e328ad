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
from ganlib.config import (G_LOSSES, OPTIMIZERS, TrainConfig, field_help, make_config,
                           presets_for)
from ganlib.data import DIGIT_NAMES, FASHION_NAMES, allowed_data_roots, data_sources
from ganlib.errors import ConfigError
from ui import roles
from ui.i18n import N_, _

OTHER_SOURCE = "other"     # the data menu's entry for a file or folder typed by hand

# (label, number_input step, display format) of each numeric setting.
_NUMBERS: dict[str, tuple[str, float, str]] = {
    "steps": (N_("Steps (empty: until stopped)"), 1, "%d"),
    "batch_size": (N_("Batch size"), 1, "%d"),
    "latent_dim": (N_("Latent size (latent_dim)"), 1, "%d"),
    "seed": (N_("Seed"), 1, "%d"),
    "ema_decay": (N_("Averaged generator (ema_decay)"), 0.001, "%.4f"),
    "d_lr": (N_("D learning rate (d_lr)"), 1e-5, "%.1e"),
    "g_lr": (N_("G learning rate (g_lr)"), 1e-5, "%.1e"),
    "beta_1": (N_("Adam beta_1"), 0.05, "%.3f"),
    "beta_2": (N_("Adam beta_2"), 0.001, "%.3f"),
    "n_critic": (N_("Critic updates per G update (n_critic)"), 1, "%d"),
    "clip_value": (N_("Weight clip (clip_value)"), 0.005, "%.3f"),
    "gp_weight": (N_("Gradient-penalty weight (gp_weight)"), 1.0, "%.1f"),
    "gp_every": (N_("Penalty every k-th critic update (gp_every)"), 1, "%d"),
    "gp_fraction": (N_("Share of the batch penalised (gp_fraction)"), 0.05, "%.2f"),
    "warmup_steps": (N_("Warm-up steps (warmup_steps)"), 1, "%d"),
    "warmup_n_critic": (N_("Critic updates in the warm-up (warmup_n_critic)"), 1, "%d"),
    "real_label": (N_("Target for real (real_label)"), 0.05, "%.2f"),
    "fake_label": (N_("Target for fake (fake_label)"), 0.05, "%.2f"),
}
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


def _number(column, key, name: str, label: str | None = None, disabled: bool = False):
    default_label, step, fmt = _NUMBERS[name]
    return column.number_input(label or _(default_label), value=None, step=step, format=fmt,
                               key=key(name), help=field_help(name), disabled=disabled,
                               placeholder=_("until stopped") if name == "steps"
                               else _("required"))


def _build(algorithm: str, preset: str, values: dict[str, Any]) -> TrainConfig:
    """make_config with the form's values; an empty field (other than steps) is an error."""
    empty = [_(_NUMBERS[n][0]) for n, v in values.items() if v is None and n != "steps"]
    if empty:
        raise ConfigError(_("{fields}: empty. Type a number, or choose the preset again to "
                            "restore its values.").format(fields=", ".join(empty)))
    if not values["dataset"]:
        raise ConfigError(_("Type the path of a data file or folder on the server, or choose "
                            "one of the listed datasets."))
    config = make_config(algorithm, preset, **values)
    return config.replace(steps=None) if values["steps"] is None else config
