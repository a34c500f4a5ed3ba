"""Fresh memory for a large fleet: numpy's huge-page advice, off during the run.

On Linux with transparent huge pages set to ``madvise``, numpy asks for huge pages
for every array of 4 MB or more. A first touch of such an array then waits while the
kernel finds (and, with memory fragmented, compacts) a free 2 MB page. A large
fleet's run touches gigabytes of fresh memory (state, load blocks, log chunks), and
on a machine with fragmented memory those waits dominate: measured here, one day of
a million homes took 10-12 s with the advice and 5.7-5.9 s without, 300,000 homes
2.3-2.7 s against 1.4 s, 100,000 homes 0.7-0.95 s against 0.45 s. A 10,000-home
year, which reuses its memory, ran about 15 % faster with the advice, so it is kept
for fleets below `LARGE_FLEET_PROSUMERS`. A user who sets ``NUMPY_MADVISE_HUGEPAGE``
decides for themselves: the setting is then left alone. See docs/performance.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

__all__ = ["LARGE_FLEET_PROSUMERS", "huge_page_advice", "fresh_memory_policy"]

#: From this many prosumers a run is made without numpy's huge-page advice.
LARGE_FLEET_PROSUMERS = 100_000

_multiarray = getattr(getattr(np, "_core", None), "multiarray", None)
_get = getattr(_multiarray, "_get_madvise_hugepage", None)
_set = getattr(_multiarray, "_set_madvise_hugepage", None)


def huge_page_advice() -> bool | None:
    """Whether numpy advises huge pages for new large arrays (None: not known)."""
    return bool(_get()) if _get is not None else None


@contextmanager
def fresh_memory_policy(n_prosumers: int) -> Iterator[bool | None]:
    """Within the block, numpy's huge-page advice is off for a fleet of at least
    `LARGE_FLEET_PROSUMERS` (unless ``NUMPY_MADVISE_HUGEPAGE`` is set); restored after.
    Yields the advice in force inside."""
    if (n_prosumers < LARGE_FLEET_PROSUMERS or "NUMPY_MADVISE_HUGEPAGE" in os.environ
            or _get is None or _set is None):
        yield huge_page_advice()
        return
    before = bool(_get())
    _set(False)
    try:
        yield False
    finally:
        _set(before)
