"""Golden event logs of two small hand-built runs, compared exactly.

Regenerate only on purpose, and review the diff:
``DESIM_REGEN_GOLDEN=1 python -m pytest tests/sim/test_golden.py``.
Floats are written rounded to 9 decimals so the files are stable text.
"""

import os
from pathlib import Path

import numpy as np
import pytest
from helpers import events, make_fleet, make_inputs, recorded

from desim.sim.engine import run_inputs

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
COLUMNS = ["t_h", "kind", "prosumer_id", "asset_id", "power_kw", "energy_kwh", "soc_percent",
           "required_soc_percent", "shortfall_kwh", "price_usd_per_mwh", "cause_id", "detail"]


def _dispatch_day():
    fleet = make_fleet(3, rng=np.random.default_rng(11), v2g=True)
    return make_inputs(fleet, days=1, seed=11, ev_policy="smart", bess_policy="follow_dispatch",
                       events=events(("evening", 17.5, 2.5, 12.0, -1, 350.0)), site_limit_kw=15.0)


def _replay():
    fleet = make_fleet(2, with_bess=False, with_pv=False, rng=np.random.default_rng(5))
    sessions = recorded(ev_index=[0, 0, 1], arrival_h=[0.3, 8.05, 1.0],
                        departure_h=[7.9, 17.2, 9.5], arrival_soc=[0.2, 0.3, 0.15],
                        target_soc=[0.8, 0.9, 0.95])
    return make_inputs(fleet, days=1, sessions=sessions, ev_policy="price_responsive",
                       interval_min=30)


@pytest.mark.parametrize("name,build", [("dispatch_day", _dispatch_day), ("replay", _replay)])
def test_event_log_matches_its_golden_file(name, build):
    inp = build()
    log = run_inputs(inp).log.to_pandas(inp.start)[COLUMNS]
    text = log.to_csv(index=False, float_format="%.9f", lineterminator="\n")
    path = GOLDEN / f"{name}.csv"
    if os.environ.get("DESIM_REGEN_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"{path} missing; regenerate with DESIM_REGEN_GOLDEN=1"
    assert text == path.read_text()
