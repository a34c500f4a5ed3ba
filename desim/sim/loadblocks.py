"""Household load for the run, one block of intervals at a time.

A block is a day of intervals, or fewer for a large fleet (`LOAD_BLOCK_VALUES`). The
synthetic `desim.profiles.LoadModel` writes its blocks into two reused buffers, and
while the run goes through one block the next is generated on a worker thread (its
compiled pass releases the GIL): for 10,000 homes that is about 4 ms a simulated day
taken off the run's own thread (not for a large fleet: `PREFETCH_MAX_VALUES`). Block
values do not depend on where blocks start, so the run's results do not depend on any
of this.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from desim.profiles.load import LoadModel

__all__ = ["LoadBlocks", "LOAD_BLOCK_VALUES", "PREFETCH_MIN_VALUES", "PREFETCH_MAX_VALUES"]

#: Load values generated at once (a day's worth, or fewer intervals for a large fleet:
#: 2**24 float32 values is 64 MB).
LOAD_BLOCK_VALUES = 1 << 24
#: Blocks smaller than this (values) are generated on the run's thread, when needed.
PREFETCH_MIN_VALUES = 1 << 18
#: And blocks larger than this too: for a large fleet the worker's second buffer of fresh
#: memory and its memory traffic cost the run more than they save (a million homes, one
#: day: first runs 8.0-8.1 s without the worker, 8.3-10.4 s with it).
PREFETCH_MAX_VALUES = 1 << 22


class LoadBlocks:
    """Rows of a load source (``block(start, n)`` -> (n, n_homes) kW) by interval.

    Parameters
    ----------
    load : object with ``block(start_index, n_steps)``
        The run's load source.
    n_homes, n_steps : int
    interval_h : float
    """

    def __init__(self, load, n_homes: int, n_steps: int, interval_h: float):
        per_day = max(1, int(round(24 / interval_h)))
        self.block_steps = min(per_day, max(1, LOAD_BLOCK_VALUES // max(1, n_homes)))
        self._load = load
        self._n_homes = n_homes
        self._n_steps = n_steps
        self._model = isinstance(load, LoadModel)
        values = self.block_steps * n_homes
        self._prefetch = (self._model
                          and PREFETCH_MIN_VALUES <= values <= PREFETCH_MAX_VALUES)
        self._buffers: list[np.ndarray] = []
        self._current = 0                # the buffer holding the block in use
        self._pending = None             # (start, future) of the block being generated
        self._pool: ThreadPoolExecutor | None = None
        self._block: np.ndarray | None = None
        self._start = -1

    def row(self, k: int) -> np.ndarray:
        """Every home's load in interval `k` (kW, float32)."""
        if self._block is None or not self._start <= k < self._start + len(self._block):
            self._switch(k)
        return self._block[k - self._start]

    def current_block(self) -> tuple:
        """The block in use (steps x homes, kW float32) and its first interval."""
        return self._block, self._start

    def block_end(self, k: int) -> int:
        """The first interval after the block holding interval `k` (blocks start at
        multiples of `block_steps` from the first interval read)."""
        if self._block is not None and self._start <= k < self._start + len(self._block):
            return self._start + len(self._block)
        return k + 1

    def _size(self, k: int) -> int:
        return min(self.block_steps, self._n_steps - k)

    def _fill(self, k: int, which: int) -> np.ndarray:
        n = self._size(k)
        return self._load.block(k, n, self._buffers[which][:n])

    def _switch(self, k: int) -> None:
        if not self._model:
            self._block = self._load.block(k, self._size(k))
            self._start = k
            return
        if not self._buffers:
            n_buffers = 2 if self._prefetch else 1
            self._buffers = [np.empty((self.block_steps, self._n_homes), dtype=np.float32)
                             for _ in range(n_buffers)]
        pending, self._pending = self._pending, None
        if pending is not None and pending[0] == k:
            self._current = 1 - self._current
            self._block = pending[1].result()
        else:
            if pending is not None:
                pending[1].result()          # the buffer it writes must be free again
            self._block = self._fill(k, self._current)
        self._start = k
        after = k + len(self._block)
        if self._prefetch and after < self._n_steps:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="desim-load")
            self._pending = (after, self._pool.submit(self._fill, after, 1 - self._current))

    def close(self) -> None:
        """Stop the worker thread (a block being generated is finished first)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._pending = None
