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
from ganlib.classroom import Action, may
from ganlib.config import (G_LOSSES, OPTIMIZERS, TrainConfig, field_help, make_config,
                           presets_for)
from ganlib.data import DIGIT_NAMES, FASHION_NAMES, allowed_data_roots, data_sources
from ganlib.errors import ConfigError
from ui import roles

OTHER_SOURCE = "other"     # the data menu's entry for a file or folder typed by hand

# (label, number_input step, display format) of each numeric setting.
_NUMBERS: dict[str, tuple[str, float, str]] = {
    "steps": ("Steps (empty: until stopped)", 1, "%d"),
    "batch_size": ("Batch size", 1, "%d"),
    "latent_dim": ("Latent size (latent_dim)", 1, "%d"),
    "seed": ("Seed", 1, "%d"),
    "d_lr": ("D learning rate (d_lr)", 1e-5, "%.1e"),
    "g_lr": ("G learning rate (g_lr)", 1e-5, "%.1e"),
    "beta_1": ("Adam beta_1", 0.05, "%.3f"),
    "beta_2": ("Adam beta_2", 0.001, "%.3f"),
    "n_critic": ("Critic updates per G update (n_critic)", 1, "%d"),
    "clip_value": ("Weight clip (clip_value)", 0.005, "%.3f"),
    "gp_weight": ("Gradient-penalty weight (gp_weight)", 1.0, "%.1f"),
    "real_label": ("Target for real (real_label)", 0.05, "%.2f"),
    "fake_label": ("Target for fake (fake_label)", 0.05, "%.2f"),
}
# The title over the settings each algorithm adds (ganlib.algorithms lists them).
_SETTINGS_TITLES: dict[str, str] = {
    "gan": "Discriminator targets and generator loss",
    "wgan": "Critic and weight clipping",
    "wgan-gp": "Critic and gradient penalty",
}
# The settings every algorithm has, in the form's order.
_COMMON_FIELDS = ("dataset", "digits", "steps", "batch_size", "latent_dim", "seed",
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
    algorithm = top[0].selectbox("Algorithm", ALGORITHMS, format_func=ALGORITHM_LABELS.get,
                                 key=key("algorithm"), on_change=_load_preset,
                                 args=(prefix, True), help=field_help("algorithm"))
    preset = top[1].selectbox("Preset", presets_for(algorithm), key=key("preset"),
                              on_change=_load_preset, args=(prefix, False),
                              help="Choosing a preset resets every field below to its values. "
                                   + field_help("preset"))
    values: dict[str, Any] = {}
    with top[2]:
        values["dataset"] = _dataset_field(key)
    names = FASHION_NAMES if "fashion" in values["dataset"] else DIGIT_NAMES
    values["digits"] = top[3].multiselect("Classes (empty: all)", list(range(10)),
                                          format_func=lambda d: names[d], key=key("digits"),
                                          help=field_help("digits"))

    rule = ALGORITHM_INFO[algorithm]
    st.markdown("**Training**")
    row = st.columns(4, vertical_alignment="bottom")
    for column, name in zip(row, ("steps", "batch_size", "latent_dim", "seed")):
        values[name] = _number(column, key, name)
    st.markdown("**Optimiser**")
    row = st.columns(5, vertical_alignment="bottom")
    values["optimizer"] = row[0].selectbox(
        "Optimiser", OPTIMIZERS, key=key("optimizer"), help=field_help("optimizer"),
        format_func={"adam": "Adam", "rmsprop": "RMSprop"}.get)
    values["d_lr"] = _number(row[1], key, "d_lr",
                             label=f"{rule.critic_abbrev} learning rate (d_lr)")
    values["g_lr"] = _number(row[2], key, "g_lr")
    for column, name in zip(row[3:], ("beta_1", "beta_2")):
        values[name] = _number(column, key, name, disabled=values["optimizer"] != "adam")

    st.markdown(f"**{_SETTINGS_TITLES[algorithm]}**")
    row = st.columns(4, vertical_alignment="bottom")
    for column, name in zip(row, rule.settings):
        if name == "g_loss":
            values[name] = column.selectbox("Generator loss", G_LOSSES, key=key(name),
                                            help=field_help(name))
        else:
            values[name] = _number(column, key, name)
    return _build(algorithm, preset, values)


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
        labels[OTHER_SOURCE] = "A file or folder on the server (.npz, .zip, images, IDX)…"
    source = st.selectbox("Dataset", list(labels), format_func=labels.get, key=key("dataset"),
                          help=field_help("dataset"))
    if source != OTHER_SOURCE:
        return source
    folders = ", ".join(f"`{folder}`" for folder in allowed_data_roots()) or "none"
    return st.text_input("Path on the server", key=key("dataset_path"),
                         placeholder="/data/my_digits.npz",
                         help=f"Only files and folders inside the data folders this server "
                              f"allows can be used: {folders} (GANLIB_DATA_DIRS).").strip()


def _number(column, key, name: str, label: str | None = None, disabled: bool = False):
    default_label, step, fmt = _NUMBERS[name]
    return column.number_input(label or default_label, value=None, step=step, format=fmt,
                               key=key(name), help=field_help(name), disabled=disabled,
                               placeholder="until stopped" if name == "steps" else "required")


def _build(algorithm: str, preset: str, values: dict[str, Any]) -> TrainConfig:
    """make_config with the form's values; an empty field (other than steps) is an error."""
    empty = [_NUMBERS[n][0] for n, v in values.items() if v is None and n != "steps"]
    if empty:
        raise ConfigError(f"{', '.join(empty)}: empty. Type a number, or choose the preset "
                          f"again to restore its values.")
    if not values["dataset"]:
        raise ConfigError("Type the path of a data file or folder on the server, or choose "
                          "one of the listed datasets.")
    config = make_config(algorithm, preset, **values)
    return config.replace(steps=None) if values["steps"] is None else config
