"""Every number read from a checkpoint's files is checked where it is read (issue: a zip whose
meta.json had `"elapsed_s": NaN`, or `"created": "9999-12-31T23:59:59+00:00"`, was accepted,
and then the Models page raised for every visitor, in every time zone east of UTC for the
second, and the model could not be deleted there)."""

from __future__ import annotations

import io
import json
import math
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ganlib.checkpoints import (delete_checkpoint, export_zip, import_zip, list_checkpoints,
                                load_checkpoint, read_info)
from ganlib.config import _FLOAT_RANGES, _INT_RANGES
from ganlib.errors import CheckpointError
from tests.test_checkpoints import edit_json, nets, rezip, root, save  # noqa: F401 - fixtures

NAN, INF = math.nan, math.inf
SOON = (datetime.now(timezone.utc) + timedelta(hours=3)).isoformat()   # within the skew
LATER = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()


def broken_by(root, file: str, change) -> str:
    """The reason listing gives for the checkpoint "bad" once `change` edits its `file`."""
    edit_json(root / "bad" / file, change)
    good, broken = list_checkpoints(root)
    assert [b.name for b in broken] == ["bad"] and [g.name for g in good] == ["good"]
    with pytest.raises(CheckpointError):
        read_info("bad", root)
    delete_checkpoint("bad", root)                        # and it can be deleted
    return broken[0].reason


@pytest.fixture
def two(save, root):
    save("good")
    save("bad")
    return root


@pytest.mark.parametrize("field, value, expected", [
    ("step", NAN, "step is nan, not a whole number"),
    ("step", -1, "step is -1"),
    ("step", 10**12, "step is 1000000000000"),
    ("step", 2.5, "step is 2.5"),
    ("step", "5", "step is '5'"),
    ("step", True, "step is True"),
    ("created", "9999-12-31T23:59:59+00:00", "a date in the future"),
    ("created", LATER, "a date in the future"),
    ("created", "0001-01-01T00:00:00+00:00", "before 2000"),
    ("created", "0001-01-01T00:00:00+05:00", "not a date and time"),
    ("created", "9999-12-31T23:59:59-05:00", "not a date and time"),
    ("created", "yesterday", "not a date and time"),
    ("created", 5, "not a date and time"),
    ("elapsed_s", NAN, "elapsed_s is nan, not a number from 0"),
    ("elapsed_s", INF, "elapsed_s is inf"),
    ("elapsed_s", -INF, "elapsed_s is -inf"),
    ("elapsed_s", -1.0, "elapsed_s is -1.0"),
    ("elapsed_s", 1e300, "elapsed_s is 1e+300"),
    ("elapsed_s", 10**400, "elapsed_s is 1000000000"),
    ("elapsed_s", "12", "elapsed_s is '12'"),
    ("metrics", {"d_loss": NAN}, "metrics/d_loss is nan"),
    ("metrics", {"d_loss": INF}, "metrics/d_loss is inf"),
    ("metrics", {"d_loss": -1e300}, "metrics/d_loss is -1e+300"),
    ("metrics", {"d_loss": "low"}, "metrics/d_loss is 'low'"),
    ("metrics", {"[x](http://evil)": 1.0}, "names a metric"),
    ("metrics", [1, 2], "metrics is not a mapping"),
])
def test_each_number_of_meta_json_is_checked(two, field, value, expected):
    reason = broken_by(two, "meta.json", lambda meta: meta.update({field: value}))
    assert expected in reason and "'bad'" in reason and "Delete it" in reason


def test_a_date_within_the_clock_skew_is_kept_and_shown_in_every_time_zone(two):
    edit_json(two / "bad" / "meta.json", lambda meta: meta.update(created=SOON))
    info = read_info("bad", two)
    for zone in ("Asia/Ho_Chi_Minh", "Pacific/Kiritimati", "Etc/GMT+12"):
        assert info.created.astimezone(ZoneInfo(zone)).year >= 2000


CONFIG_NUMBERS = sorted({*_INT_RANGES, *_FLOAT_RANGES, "g_batch_size", "steps"})


@pytest.mark.parametrize("value", [NAN, INF, -INF, 1e308, -1, 10**30, "1"])
@pytest.mark.parametrize("field", CONFIG_NUMBERS)
def test_each_number_of_config_json_is_checked(two, field, value):
    if field == "steps" and value == -1:
        value = 0
    reason = broken_by(two, "config.json", lambda config: config.update({field: value}))
    assert "config.json is not a valid configuration" in reason and field in reason


@pytest.mark.parametrize("digits", [[NAN], [INF], [10], [-1], ["seven"], [10**30], 7])
def test_the_digits_of_config_json_are_checked(two, digits):
    reason = broken_by(two, "config.json", lambda config: config.update(digits=digits))
    assert "config.json is not a valid configuration" in reason


@pytest.mark.parametrize("preset", ["[x](http://evil)", ":red[boo] $x^2$", "article2", ""])
def test_a_preset_is_one_of_the_rules_names(two, preset):
    reason = broken_by(two, "config.json", lambda config: config.update(preset=preset))
    assert "preset must be one of" in reason


def history_with(**columns) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **{"step": np.arange(1.0, 4.0), "d_loss": np.ones(3), **columns})
    return buffer.getvalue()


@pytest.mark.parametrize("columns, expected", [
    (dict(step=np.array([1.0, NAN, 3.0])), "step column"),
    (dict(step=np.array([1.0, 2.5, 3.0])), "step column"),
    (dict(step=np.array([1.0, -2.0, 3.0])), "step column"),
    (dict(step=np.array([1.0, 1e30, 3.0])), "step"),
    (dict(d_loss=np.array([1.0, INF, 3.0])), "column d_loss holds a value that is infinite"),
    (dict(time=np.array([1.0, -INF, 3.0])), "column time holds a value that is infinite"),
    (dict(g_loss=np.array([1.0, 1e300, 3.0])), "column g_loss"),
    ({"<img src=x>": np.ones(3)}, "names a metric"),
])
def test_each_number_of_history_npz_is_checked_when_it_is_read(save, root, columns, expected):
    save("bad")
    (root / "bad" / "history.npz").write_bytes(history_with(**columns))
    with pytest.raises(CheckpointError) as err:
        load_checkpoint("bad", root)
    assert expected in str(err.value) and "history.npz" in str(err.value)


def test_a_metric_not_measured_at_a_step_is_nan_and_fine(save, root):
    save("gaps", history={"step": np.arange(1.0, 4.0), "fd": np.array([NAN, 2.0, NAN])})
    assert np.isnan(load_checkpoint("gaps", root).history["fd"][0])


def test_a_save_leaves_out_metrics_that_are_no_numbers(save, root):
    """A run's last loss may be NaN (it diverged): the model saved is not a broken one."""
    info = save("diverging", metrics={"d_loss": NAN, "g_loss": 1.5})
    assert info.metrics == {"g_loss": 1.5}


@pytest.mark.parametrize("meta", [dict(elapsed_s=NAN), dict(created="9999-12-31T23:59:59+00:00")])
def test_the_issues_uploads_are_refused(save, root, tmp_path, meta):
    upload = export_zip(save("source").name, root)
    data = json.loads(json.dumps(meta))
    zipped = rezip(upload, replace={"meta.json": json.dumps(
        {**json.loads((root / "source" / "meta.json").read_text()), **data}).encode()})
    with pytest.raises(CheckpointError, match="cannot be used: meta.json's"):
        import_zip(zipped, tmp_path / "uploads")
