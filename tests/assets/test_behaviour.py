"""One behaviour model: a Prosumer asked on its own answers what the engine does for it.

For random homes, the scalar `Prosumer` offers exactly what the engine's fleet offer
functions (`desim.sim.dispatch.bess_offers_kw`, `ev_offers_kw`) give for the same
home and state, and its probability of taking part is the acceptance frequency of
the engine's `decide` over many draws (and the closed form its rule implies).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desim import BESS, ElectricVehicle, Prosumer
from desim.fleet.convert import table_from_prosumers
from desim.sim import dispatch as dsp
from desim.sim.guard import FEASIBLE
from desim.sim.state import BessState, EvState
from desim.units import format_hhmm

# preferences on a 1/1024 grid: the fleet table keeps them as float32, exactly
grid = st.integers(0, 1024).map(lambda k: k / 1024.0)


@st.composite
def homes(draw):
    lo = draw(st.floats(0.0, 0.4))
    hi = draw(st.floats(lo + 0.1, 1.0))
    bess = BESS(draw(st.floats(2.0, 30.0)), draw(st.floats(1.0, 10.0)),
                draw(st.floats(0.8, 1.0)), current_soc_percent=draw(st.floats(lo, hi)) * 100,
                min_soc_percent=lo * 100, max_soc_percent=hi * 100,
                max_discharge_power_kw=draw(st.floats(1.0, 10.0)))
    evs = []
    for i in range(draw(st.integers(0, 2))):
        evs.append(ElectricVehicle(
            draw(st.floats(20.0, 120.0)), draw(st.floats(1.4, 19.2)),
            current_soc_percent=draw(st.floats(5.0, 100.0)),
            min_departure_soc_percent=draw(st.floats(30.0, 100.0)),
            charge_deadline=format_hhmm(draw(st.integers(0, 24 * 4 - 1)) / 4.0),
            charge_efficiency=draw(st.floats(0.85, 1.0)),
            v2g_max_discharge_kw=draw(st.sampled_from([0.0, 5.0, 11.0])),
            v2g_min_soc_percent=draw(st.floats(10.0, 40.0)), ev_id=f"ev{i}"))
    home = Prosumer(
        "home", bess=bess, evs=evs, participation_willingness=draw(grid),
        min_compensation_per_kwh=draw(grid) * 0.5,
        backup_power_hours=draw(st.integers(0, 16)) / 4.0,
        ev_priority=draw(st.sampled_from(["low", "medium", "high"])),
        annual_load_kwh=draw(st.floats(1000.0, 20000.0)))
    home.max_discharge = draw(st.integers(256, 1024)) / 1024.0   # the fraction, on the grid
    return home, draw(st.floats(0.25, 6.0)), draw(st.floats(0.0, 23.75))


def _engine_state(home, now_hour_of_day):
    """The engine's arrays for `home` (its fleet table row), its EVs plugged in and
    leaving at their deadlines, guaranteed; clock at 0 h."""
    table = table_from_prosumers([home])
    bess, ev = BessState.from_table(table), EvState.from_table(table)
    ev.plugged[:] = True
    ev.plugin_cause[:] = FEASIBLE
    ev.departure_h[:] = [e.hours_until_deadline(now_hour_of_day) for e in home.evs]
    baseline = np.where(ev.needed_kwh() > 0, ev.max_charge_kw, 0.0)   # uncontrolled
    return table, bess, ev, baseline


@settings(max_examples=150)
@given(homes())
def test_prosumer_offers_what_the_engine_offer_functions_give(case):
    home, window_h, now = case
    table, bess, ev, baseline = _engine_state(home, now)
    flex = home.get_available_flexibility_kw(window_h, now_hour_of_day=now)

    assert flex["bess_discharge"] == float(dsp.bess_offers_kw(bess, table, np.zeros(1),
                                                              window_h, -1)[0])
    assert flex["bess_charge"] == float(dsp.bess_offers_kw(bess, table, np.zeros(1),
                                                           window_h, 1)[0])
    assert home.bess_dispatch_floor_soc() == float(dsp.bess_floor_soc(bess, table)[0])
    ev_discharge = dsp.ev_offers_kw(ev, table, baseline, 0.0, window_h, -1, True)
    ev_absorb = dsp.ev_offers_kw(ev, table, baseline, 0.0, window_h, 1, True)
    assert flex["ev_deferral"] + flex["ev_v2g"] == pytest.approx(float(ev_discharge.sum()),
                                                                 rel=1e-15, abs=0.0)
    assert flex["ev_charge"] == float(ev_absorb.sum())
    if len(home.evs) == 1:              # one EV: the very same float
        assert flex["ev_deferral"] + flex["ev_v2g"] == float(ev_discharge[0])
    if home.ev_priority == "high":
        assert flex["ev_deferral"] == flex["ev_v2g"] == 0.0


@settings(max_examples=30)
@given(homes(), st.floats(0.0, 600.0))
def test_participation_probability_is_the_engine_acceptance_frequency(case, price_per_mwh):
    home = case[0]
    table = table_from_prosumers([home])
    p = home.evaluate_market_opportunity(price_per_mwh).participation_probability
    # the closed form of the engine's rule: willingness if the price covers the minimum
    covers = price_per_mwh / 1000.0 >= home.min_compensation_per_kwh
    assert p == (home.participation_willingness if covers else 0.0)
    # and the engine's own decisions over many draws (binomial: 6 sigma, n = 20,000)
    n = 20_000
    uniform = np.random.default_rng(int(price_per_mwh * 1000) % 2**32).random(n)
    freq = float(dsp.decide(table, price_per_mwh, uniform).mean())
    assert abs(freq - p) <= 6.0 * np.sqrt(p * (1.0 - p) / n) + 1e-12


@settings(max_examples=60)
@given(homes(), st.floats(0.0, 600.0), st.floats(0.0, 0.999999))
def test_a_given_draw_gets_the_engine_decision(case, price_per_mwh, u):
    home, window_h, now = case
    table = table_from_prosumers([home])
    result = home.evaluate_market_opportunity(price_per_mwh, window_h, uniform=u,
                                              now_hour_of_day=now)
    engine_accepts = bool(dsp.decide(table, price_per_mwh, np.array([u]))[0])
    assert result.decision_basis == "draw"
    assert result.participate == (engine_accepts and result.available_kw > 0.0)


def _offer_by_formula(allowed, need, base, dep, now, w, direction, guarded, soc, vmin, cap,
                      vmax, pmax, eff, c):
    """docs/semantics.md's EV offer, written here from the text (one EV, floats)."""
    if not allowed:
        return 0.0
    charging = max(0.0, base) if need > 0 else 0.0
    if direction > 0:
        return max(0.0, pmax - max(0.0, base)) if need > 0 else 0.0
    rate = c * eff
    lax = (dep - now) - (need / rate if need > 0 else 0.0)
    v2g = min(vmax, max(0.0, soc - vmin) * cap * eff / w)
    if not guarded:
        return charging + v2g
    defer_ok = lax >= w
    recover = v2g * w / (rate * eff) if v2g > 0 else 0.0
    v2g_ok = defer_ok and lax - w - recover >= 0
    return (charging if defer_ok else 0.0) + (v2g if v2g_ok else 0.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.floats(0.0, 60.0), st.floats(-3.0, 12.0),
                          st.floats(0.0, 30.0), st.floats(0.0, 1.0), st.floats(0.0, 0.5),
                          st.floats(20.0, 100.0), st.floats(0.0, 11.0), st.floats(1.0, 11.0),
                          st.floats(0.8, 1.0), st.floats(0.5, 11.0)), min_size=1, max_size=30),
       st.floats(0.0, 10.0), st.floats(0.05, 4.0), st.sampled_from([-1, 1]), st.booleans())
def test_ev_offer_arrays_equal_the_scalar_form_and_the_written_rule(rows, now, w, direction,
                                                                      guarded):
    """The compiled EV offer: its array form equals its scalar form bit for bit, and
    both equal the rule written from the docs (to rounding of the same operations)."""
    from desim.assets import behaviour

    cols = [np.array(c) for c in zip(*rows, strict=True)]
    allowed, need, base, dep, soc, vmin, cap, vmax, pmax, eff, c = cols
    got = behaviour.ev_offer_kw(allowed, need, base, dep, now, w, direction, guarded, soc,
                                vmin, cap, vmax, pmax, eff, c)
    for j, row in enumerate(rows):
        a, nd, b, d, s, vm, cp, vx, pm, ef, cc = row
        one = behaviour.ev_offer_kw(a, nd, b, d, now, w, direction, guarded, s, vm, cp, vx,
                                    pm, ef, cc)
        assert one == got[j]
        want = _offer_by_formula(a, nd, b, d, now, w, direction, guarded, s, vm, cp, vx, pm,
                                 ef, cc)
        assert one == pytest.approx(want, rel=1e-12, abs=1e-12)
