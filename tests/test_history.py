import numpy as np

from ganlib.history import MetricHistory


def test_memory_is_bounded_and_recent_rows_stay_exact():
    history = MetricHistory(["loss"], capacity=100, recent=40)
    for step in range(1, 10_001):
        history.append(step, step / 10, {"loss": float(step)})
    arrays = history.arrays()
    assert len(history) <= 100
    # The newest 40 rows are untouched.
    np.testing.assert_array_equal(arrays["step"][-40:], np.arange(9961, 10_001))
    np.testing.assert_array_equal(arrays["loss"][-40:], np.arange(9961, 10_001))
    # Older rows are averages of consecutive steps, in order, covering the start of the run.
    assert np.all(np.diff(arrays["step"]) > 0)
    assert arrays["step"][0] < 200
    assert np.all(arrays["loss"] <= arrays["step"])


def test_arrays_are_read_only_and_cached_until_the_next_append():
    history = MetricHistory(["a", "b"], capacity=10, recent=4)
    history.append(1, 0.1, {"a": 1.0})
    first = history.arrays()
    assert first is history.arrays()
    assert np.isnan(first["b"][0])
    assert not first["a"].flags.writeable
    history.append(2, 0.2, {"a": 2.0, "b": 3.0})
    assert history.arrays() is not first
    assert history.last() == {"step": 2.0, "time": 0.2, "a": 2.0, "b": 3.0}


def test_load_restores_saved_columns():
    history = MetricHistory(["a"], capacity=10, recent=4)
    history.load({"step": np.array([1, 2, 3]), "time": np.array([0.1, 0.2, 0.3]),
                  "a": np.array([5.0, 6.0, 7.0])})
    np.testing.assert_array_equal(history.arrays()["a"], [5.0, 6.0, 7.0])
