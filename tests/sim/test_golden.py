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


def _tight_v2g_merit():
    """Tight laxities, V2G, merit allocation and a binding site limit (12 kW for five
    EVs of 6-11.5 kW), a discharge event over the evening peak."""
    fleet = make_fleet(5, rng=np.random.default_rng(23), v2g=True, with_pv=False)
    fleet.ev_v2g_max_kw[:] = [7.0, 5.0, 0.0, 7.0, 3.0]
    sessions = recorded(ev_index=[0, 1, 2, 3, 4], arrival_h=[16.0, 16.5, 17.2, 17.9, 18.1],
                        departure_h=[23.5, 21.0, 22.0, 30.0, 20.5],
                        arrival_soc=[0.75, 0.3, 0.2, 0.85, 0.5],
                        target_soc=[0.6, 0.8, 0.9, 0.7, 0.55])
    return make_inputs(fleet, days=2, sessions=sessions, ev_policy="smart",
                       bess_policy="follow_dispatch", site_limit_kw=12.0, allocation="merit",
                       events=events(("peak", 18.0, 2.0, 20.0, -1, 500.0)))


CASES = [("dispatch_day", _dispatch_day), ("replay", _replay),
         ("tight_v2g_merit", _tight_v2g_merit)]


@pytest.mark.parametrize("name,build", CASES)
def test_event_log_matches_its_golden_file(name, build):
    inp = build()
    log = run_inputs(inp).log.to_pandas(inp.start)[COLUMNS]
    text = log.to_csv(index=False, float_format="%.9f", lineterminator="\n")
    path = GOLDEN / f"{name}.csv"
    if os.environ.get("DESIM_REGEN_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"{path} missing; regenerate with DESIM_REGEN_GOLDEN=1"
    assert text == path.read_text()
