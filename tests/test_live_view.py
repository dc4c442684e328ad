"""ui.live_view: each run update's picture and figures are made once, for every viewer."""

import threading
import time


import pytest

from tests.helpers import run_snapshot
from ui import charts, live_view


@pytest.fixture(autouse=True)
def fresh_store(monkeypatch):
    monkeypatch.setattr(live_view, "RENDERS", live_view.SharedRenders(max_entries=8))


def test_viewers_of_one_run_update_share_the_grid_and_the_figure():
    first, second = run_snapshot(), run_snapshot()   # two sessions' snapshots of one update
    png = live_view.grid_png(first.run_id, first.samples_step, first.samples, 8, 3)
    assert png.startswith(b"\x89PNG")
    assert live_view.grid_png(second.run_id, second.samples_step, second.samples, 8, 3) is png
    figure = live_view.figure(first, charts.loss_figure)
    assert live_view.figure(second, charts.loss_figure) is figure
    assert live_view.figure(second, charts.d_scores_figure) is not figure


def test_a_new_run_update_is_drawn_anew():
    before, after = run_snapshot(steps=10), run_snapshot(steps=11)
    assert (live_view.figure(after, charts.loss_figure)
            is not live_view.figure(before, charts.loss_figure))
    assert len(live_view.figure(after, charts.loss_figure).data[0].x) == 11
    assert (live_view.grid_png("run-a", 11, after.samples, 8, 3)
            != live_view.grid_png("run-a", 10, before.samples, 8, 3))
    other_run = run_snapshot(run_id="run-b")
    assert (live_view.figure(other_run, charts.loss_figure)
            is not live_view.figure(before, charts.loss_figure))


def test_the_store_keeps_only_its_newest_entries():
    store = live_view.SharedRenders(max_entries=3)
    for key in range(10):
        store.get(key, object)
    assert len(store) == 3
    kept = store.get(9, object)
    assert store.get(9, object) is kept
    assert store.get(0, lambda: "made again") == "made again"      # evicted long ago
    with pytest.raises(ValueError, match="at least 1"):
        live_view.SharedRenders(max_entries=0)


def test_concurrent_viewers_make_one_render():
    store, made, results = live_view.SharedRenders(), [], []

    def make() -> object:
        made.append(1)
        time.sleep(0.05)                        # an encoding in progress when the others ask
        return object()

    threads = [threading.Thread(target=lambda: results.append(store.get("grid", make)))
               for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1
    assert all(result is results[0] for result in results)


def test_the_live_feed_writes_the_same_grid_bytes_the_train_page_shows():
    """One PNG per sample step for the whole server: the feed's file and a controller's
    st.image are the same encoding, in the Train page's layout."""
    snap = run_snapshot()
    shown = live_view.grid_png(snap.run_id, snap.samples_step, snap.samples,
                               live_view.GRID_COLUMNS, live_view.GRID_SCALE)
    assert live_view.live_grid(snap) is shown
