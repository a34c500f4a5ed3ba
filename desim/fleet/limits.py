"""How large a fleet this machine can hold: checked before any array is allocated.

A generated fleet needs some 350 bytes per prosumer while it is drawn and under
1 KB of simulation state (docs/performance.md); the budget below, 2 KB per
prosumer, leaves room for the profiles and the event log of a day. A fleet that
needs more than the machine's physical memory is refused with a message rather
than failing in the middle of an allocation.
"""

from __future__ import annotations

import os

__all__ = ["BYTES_PER_PROSUMER", "memory_bytes", "max_prosumers", "fleet_size_problem"]

BYTES_PER_PROSUMER = 2048
_FALLBACK_MEMORY = 8 * 2**30  # when the platform does not say


def memory_bytes() -> int:
    """Physical memory of this machine in bytes (8 GiB when it cannot be read)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return _FALLBACK_MEMORY


def max_prosumers() -> int:
    """The largest fleet one process on this machine is allowed to draw or simulate."""
    return memory_bytes() // BYTES_PER_PROSUMER


def fleet_size_problem(n: int, path: str) -> str | None:
    """``"path: expected at most N ..., got n"`` when `n` prosumers do not fit, else None."""
    limit = max_prosumers()
    if n <= limit:
        return None
    return (f"{path}: expected at most {limit:,} prosumers (about {BYTES_PER_PROSUMER:,} bytes "
            f"each in this machine's {memory_bytes() / 2**30:.1f} GiB of memory; split larger "
            f"fleets into shards), got {n:,}")
