"""Load rows by interval: the same values whatever the block size, with or without
the next block generated ahead on a worker thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desim.profiles import LoadModel, make_times
from desim.sim import loadblocks
from desim.sim.loadblocks import LoadBlocks


def _model(n_homes, n_steps):
    times = make_times("2026-03-05", n_steps, 15, "America/Los_Angeles")
    return LoadModel(np.linspace(2000, 12000, n_homes), times, np.random.default_rng(4))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 400), st.integers(1, 5000), st.booleans())
def test_rows_equal_the_whole_horizon_generated_at_once(n_homes, n_steps, budget, ahead):
    model = _model(n_homes, n_steps)
    want = model.block(0, n_steps)
    old = (loadblocks.LOAD_BLOCK_VALUES, loadblocks.PREFETCH_MIN_VALUES)
    loadblocks.LOAD_BLOCK_VALUES = budget                 # blocks of a few intervals
    loadblocks.PREFETCH_MIN_VALUES = 0 if ahead else 1 << 60
    try:
        blocks = LoadBlocks(model, n_homes, n_steps, 0.25)
        got = np.stack([blocks.row(k).copy() for k in range(n_steps)])
        blocks.close()
    finally:
        loadblocks.LOAD_BLOCK_VALUES, loadblocks.PREFETCH_MIN_VALUES = old
    np.testing.assert_array_equal(got, want)


def test_a_source_that_is_not_the_model_is_read_block_by_block():
    class Table:
        def __init__(self):
            self.kw = np.arange(30 * 3, dtype=np.float32).reshape(30, 3)
            self.calls = []

        def block(self, start, n):
            self.calls.append((start, n))
            return self.kw[start:start + n].copy()

    table = Table()
    blocks = LoadBlocks(table, 3, 30, 6.0)                # 4 intervals a day
    rows = np.stack([blocks.row(k) for k in range(30)])
    np.testing.assert_array_equal(rows, table.kw)
    assert table.calls[:2] == [(0, 4), (4, 4)] and table.calls[-1] == (28, 2)


def test_close_stops_the_worker(monkeypatch):
    monkeypatch.setattr(loadblocks, "PREFETCH_MIN_VALUES", 0)
    model = _model(5, 300)
    blocks = LoadBlocks(model, 5, 300, 0.25)
    blocks.row(0)
    assert any(t.name.startswith("desim-load") for t in threading.enumerate())
    blocks.close()
    assert not any(t.name.startswith("desim-load") and t.is_alive()
                   for t in threading.enumerate())


def test_a_bad_block_from_the_worker_reaches_the_run(monkeypatch):
    monkeypatch.setattr(loadblocks, "PREFETCH_MIN_VALUES", 0)
    model = _model(4, 200)
    blocks = LoadBlocks(model, 4, 200, 0.25)
    blocks.row(0)
    blocks._pending[1].result()                         # the next block is ready
    bad = (blocks._pending[0], blocks._pool.submit(lambda: 1 / 0))
    blocks._pending = bad
    with pytest.raises(ZeroDivisionError):
        blocks.row(96)
    blocks.close()
