"""A walk of quiet intervals (`desim.sim.walk`) changes nothing but speed.

Each run is made twice, boundary by boundary (``quiet_walk=False``) and with
walks, and everything it produced is compared exactly: the log with its event
ids and cause ids, the fleet series, per-home totals, settlements and the
final state of every EV and battery.
"""

import numpy as np
import pandas as pd
import pytest
from helpers import events, make_fleet, make_inputs, recorded
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desim.bench.prepared import prepare
from desim.bench.scenario import bench_inputs
from desim.sim import walk as walk_module
from desim.sim.engine import Engine


def _run(inp, quiet_walk, monkeypatch=None):
    walks = []
    engine = Engine(inp, quiet_walk=quiet_walk)
    if monkeypatch is not None:
        original = engine.walk.run

        def counted(k0, k1):
            walks.append((k0, k1))
            return original(k0, k1)

        monkeypatch.setattr(engine.walk, "run", counted)
    return engine.run(), walks


def _assert_same(a, b):
    la, lb = a.log.to_pandas(a.start), b.log.to_pandas(b.start)
    assert "event_id" in la.columns
    pd.testing.assert_frame_equal(la, lb, check_exact=True)
    pd.testing.assert_frame_equal(a.series, b.series, check_exact=True)
    pd.testing.assert_frame_equal(a.totals, b.totals, check_exact=True)
    pd.testing.assert_frame_equal(a.settlements, b.settlements, check_exact=True)
    for name in ("soc", "power_kw", "charged_kwh", "discharged_kwh", "t_last_h"):
        np.testing.assert_array_equal(getattr(a.ev, name), getattr(b.ev, name))
    for name in ("soc", "power_kw", "energy_step_kwh"):
        np.testing.assert_array_equal(getattr(a.bess, name), getattr(b.bess, name))


def _spy_walk(monkeypatch) -> list:
    """What every `walk` call returns, from now on, in call order."""
    outs = []
    original = walk_module.walk

    def spy(*args):
        out = original(*args)
        outs.append(out)
        return out

    monkeypatch.setattr(walk_module, "walk", spy)
    return outs


def _fresh(build):
    """Two independent copies of a run's inputs (sessions and loads hold state)."""
    return build(), build()


@pytest.mark.parametrize("dispatch", [False, True])
def test_benchmark_scenario_walked_equals_boundary_by_boundary(dispatch, monkeypatch):
    def build():
        inp = prepare(bench_inputs(300, 3, 4))[0]
        inp.dispatch_enabled = dispatch
        return inp

    a_inp, b_inp = _fresh(build)
    a, _ = _run(a_inp, False)
    b, walks = _run(b_inp, True, monkeypatch)
    assert walks, "no stretch was walked: the test would prove nothing"
    assert sum(k1 - k0 for k0, k1 in walks) > a_inp.n_steps // 2
    _assert_same(a, b)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_homes=st.integers(1, 12),
       interval_min=st.sampled_from([5, 15, 20, 30, 60]), days=st.integers(1, 3),
       bess_policy=st.sampled_from(["self_consumption", "follow_dispatch"]),
       with_event=st.booleans(), kinds=st.sampled_from([None, ("interval", "bess_full"),
                                                         ("bess_empty", "ev_arrival")]),
       load_kw=st.sampled_from([0.3, 1.0, 2.5]), shared=st.booleans())
def test_random_runs_walked_equal_boundary_by_boundary(seed, n_homes, interval_min, days,
                                                       bess_policy, with_event, kinds, load_kw,
                                                       shared):
    def build():
        rng = np.random.default_rng(seed)
        fleet = make_fleet(n_homes, rng=rng)
        if shared:      # batteries moved between homes: some have several, some none
            fleet.bess_prosumer_index[:] = rng.integers(0, n_homes, fleet.n_bess)
        ev_rows = events(("e", 17.3 + (seed % 7) * 0.1, 2.0, 3.0 * n_homes,
                          -1 if seed % 2 else 1, 300.0)) if with_event else None
        return make_inputs(fleet, days=days, bess_policy=bess_policy, events=ev_rows,
                           seed=seed, interval_min=interval_min, load_kw=load_kw,
                           event_kinds=kinds)

    a_inp, b_inp = _fresh(build)
    a, _ = _run(a_inp, False)
    b, _ = _run(b_inp, True)
    _assert_same(a, b)


def test_no_walk_where_a_boundary_can_change_the_fleet(monkeypatch):
    """A policy whose setpoints read the signals (prices), or a site limit (EV events are
    then decision instants): no walk."""
    for kw in ({"ev_policy": "price_responsive"}, {"site_limit_kw": 20.0},
               {"ev_policy": "smart", "site_limit_kw": 20.0}):
        fleet = make_fleet(4, rng=np.random.default_rng(3))
        inp = make_inputs(fleet, days=1, **kw)
        _, walks = _run(inp, True, monkeypatch)
        assert walks == []


@pytest.mark.parametrize("with_event", [False, True])
def test_smart_charging_without_a_site_limit_is_walked_the_same(with_event, monkeypatch):
    """Without a site limit smart charging holds every EV below its target at full power
    outside events (docs/semantics.md), so its quiet stretches are walked; with the guard
    deciding inside the event, the run is the same to the bit both ways."""
    def build():
        fleet = make_fleet(12, rng=np.random.default_rng(8), v2g=True)
        ev_rows = events(("e", 17.5, 2.0, 20.0, -1, 300.0)) if with_event else None
        return make_inputs(fleet, days=2, ev_policy="smart", bess_policy="follow_dispatch",
                           events=ev_rows, seed=8)

    a_inp, b_inp = _fresh(build)
    a, _ = _run(a_inp, False)
    b, walks = _run(b_inp, True, monkeypatch)
    assert sum(k1 - k0 for k0, k1 in walks) > a_inp.n_steps // 2
    _assert_same(a, b)


def test_walk_stops_before_another_process_wakes(monkeypatch):
    """A walk never passes an instant another process acts at (here a dispatch event's
    start inside an interval), nor a day's start."""
    fleet = make_fleet(5, rng=np.random.default_rng(8))
    start_h = 30.1
    inp = make_inputs(fleet, days=3, bess_policy="follow_dispatch",
                      events=events(("e", start_h, 1.5, 5.0, -1, 300.0)))
    _, walks = _run(inp, True, monkeypatch)
    dt = inp.interval_h
    assert walks
    for k0, k1 in walks:
        # before the event's start, or after its end (none while it runs)
        assert k1 * dt < start_h or k0 * dt > start_h + 1.5
        for day_h in (24.0, 48.0):
            assert not (k0 * dt < day_h < k1 * dt)


def test_rows_of_a_walk_fill_its_buffers_in_several_calls(monkeypatch):
    """A stretch whose rows outgrow the walk's row buffers is walked in several calls,
    with the same result."""
    def build():
        return prepare(bench_inputs(60, 2, 1))[0]

    a_inp, b_inp = _fresh(build)
    a, _ = _run(a_inp, False)
    engine = Engine(b_inp)
    engine.walk._cap = engine.batteries.n + 2 + 3   # room for about one interval a call
    for name in list(engine.walk._rows):
        engine.walk._rows[name] = engine.walk._rows[name][:engine.walk._cap]
    engine.walk._kind = engine.walk._kind[:engine.walk._cap]
    engine.walk._asset = engine.walk._asset[:engine.walk._cap]
    outs = _spy_walk(monkeypatch)
    walks = []
    original_run = engine.walk.run

    def counted(k0, k1):
        walks.append(k1 - k0)
        return original_run(k0, k1)

    monkeypatch.setattr(engine.walk, "run", counted)
    b = engine.run()
    calls = [out[0] for out in outs]         # intervals each call did
    assert walks and sum(calls) == sum(walks)
    assert len(calls) > 2 * len(walks)      # the stretches took several calls each
    _assert_same(a, b)


def _thermal_inputs(n, days, seed, dispatch=True, deadband_c=None, heat_pumps=0):
    from attrs import evolve

    from desim import profiles
    from desim.bench.scenario import SITE
    from desim.bench.thermal import THERMAL_START, bench_hvac_table
    from desim.sim.thermal import HVAC_KINDS

    inp = bench_inputs(n, days, seed, start=THERMAL_START)
    times = profiles.make_times(inp.start, inp.n_steps, inp.interval_h * 60, SITE.time_zone)
    table = bench_hvac_table(inp.fleet.n_prosumers, np.random.SeedSequence([seed, 7]))
    if deadband_c is not None:      # a narrow band: several switches an interval
        table = evolve(table, deadband_c=np.full(table.n, deadband_c))
    if heat_pumps:                  # the first units heat pumps, the rest air conditioners
        kind = table.kind.copy()
        kind[:heat_pumps] = HVAC_KINDS.index("heat_pump")
        table = evolve(table, kind=kind)
    outdoor = profiles.outdoor_temperature_c("california_summer", times)
    inp = evolve(inp, hvac=table, outdoor_c=outdoor)
    inp.dispatch_enabled = dispatch
    return inp


@pytest.mark.parametrize("dispatch", [False, True])
def test_air_conditioned_homes_walked_equal_boundary_by_boundary(dispatch, monkeypatch):
    """With an air conditioner in every home (the thermal benchmark's month, shortened):
    switches, battery setpoints that see the units, and the accounting are the same."""
    a_inp, b_inp = _fresh(lambda: _thermal_inputs(80, 3, 2, dispatch))
    a, _ = _run(a_inp, False)
    b, walks = _run(b_inp, True, monkeypatch)
    assert walks
    assert (a.log.to_pandas(a.start)["kind"] == "hvac_on").sum() > 50
    _assert_same(a, b)
    pd.testing.assert_frame_equal(a.thermal, b.thermal, check_exact=True)


@pytest.mark.parametrize(("dispatch", "abrupt"), [(False, False), (True, False), (False, True),
                                                  (True, True)])
def test_heat_pumps_walked_equal_boundary_by_boundary(dispatch, abrupt, monkeypatch):
    """Heat pumps beside air conditioners: they heat below their setpoint and cool above
    it, so modes change at boundaries inside walks (a running unit stops, logged
    ``mode_change``, and units take their edges at once); the same to the bit. July's
    temperatures cross the setpoints twice a day; `abrupt` swings between 36 and 8 C
    every 3 hours, so units run hard in each mode when it flips."""
    from attrs import evolve

    def build():
        inp = _thermal_inputs(60, 3, 4, dispatch, heat_pumps=40)
        if abrupt:
            hot = (np.arange(inp.n_steps) // 12) % 2 == 0
            inp = evolve(inp, outdoor_c=np.where(hot, 36.0, 8.0))
        return inp

    a_inp, b_inp = _fresh(build)
    a, _ = _run(a_inp, False)
    b, walks = _run(b_inp, True, monkeypatch)
    assert walks
    # the boundaries inside walks where a heat pump's mode flips, from the inputs
    heating = b_inp.outdoor_c[:, None] < b_inp.hvac.setpoint_c[None, :40]
    flips = np.flatnonzero((heating[1:] != heating[:-1]).any(axis=1)) + 1
    inside = [k for k in flips if any(k0 < k < k1 for k0, k1 in walks)]
    assert len(inside) > (10 if not abrupt else 5)
    log = a.log.to_pandas(a.start)
    changes = log[log["detail"] == "mode_change"]
    assert len(changes) and (changes["kind"] == "hvac_off").all()
    if abrupt:      # running units stopped at flips inside walks
        k = np.rint(changes["t_h"].to_numpy() / 0.25).astype(int)
        assert sum(any(k0 < x < k1 for k0, k1 in walks) for x in k) > 20
    _assert_same(a, b)
    pd.testing.assert_frame_equal(a.thermal, b.thermal, check_exact=True)


def test_thermal_switches_beyond_the_buffers_are_walked_the_same(monkeypatch):
    """Switch buffers of one slot and units cycling several times an interval: the
    thermostat pass stops inside an interval and the walk resumes it there, after the
    buffers grow, with the same result."""
    a_inp, b_inp = _fresh(lambda: _thermal_inputs(40, 2, 5, False, deadband_c=0.02))

    def tiny(engine):
        # (the switches of one pass are logged on first, then off: where passes are cut
        # moves event ids, so both runs start with the same buffers)
        engine.thermal._buf = tuple(np.zeros(1, dtype=x.dtype) for x in engine.thermal._buf)
        return engine

    a = tiny(Engine(a_inp, quiet_walk=False)).run()
    engine = tiny(Engine(b_inp))
    outs = _spy_walk(monkeypatch)
    b = engine.run()
    assert walk_module.SWITCHES_FULL in [out[4] for out in outs]
    _assert_same(a, b)
    pd.testing.assert_frame_equal(a.thermal, b.thermal, check_exact=True)


@pytest.mark.parametrize("quiet_walk", [False, True])
def test_battery_sees_the_air_conditioner_as_it_runs_at_the_decision(quiet_walk):
    """A self-consumption battery holds, over each interval, what its home draws at the
    interval's start: load plus the air conditioner as it runs then (not as it runs at
    the interval's end, after the thermostat pass over it)."""
    from attrs import evolve

    from desim import profiles
    from desim.bench.scenario import SITE
    from desim.bench.thermal import bench_hvac_table

    fleet = make_fleet(1, with_ev=False, with_pv=False, rng=np.random.default_rng(2))
    fleet.bess_capacity_kwh[:] = 200.0          # never reaches a limit in the day
    fleet.bess_soc[:] = 0.6
    fleet.bess_max_discharge_kw[:] = 20.0
    inp = make_inputs(fleet, days=1, load_kw=1.0)
    times = profiles.make_times(inp.start, inp.n_steps, inp.interval_h * 60, SITE.time_zone)
    table = bench_hvac_table(1, np.random.SeedSequence([3, 7]))
    table = evolve(table, deadband_c=np.full(1, 0.3))    # cycles within intervals
    inp = evolve(inp, hvac=table, outdoor_c=profiles.outdoor_temperature_c(
        "california_summer", times) + 6.0)
    r = Engine(inp, quiet_walk=quiet_walk).run()
    log = r.log.to_pandas(r.start)
    sw = log[log["kind"].isin(["hvac_on", "hvac_off"])]
    t_sw, on_sw = sw["t_h"].to_numpy(), (sw["kind"] == "hvac_on").to_numpy()
    rated = float(table.rated_power_kw[0])
    dt = inp.interval_h
    mid_switch = 0
    for j in range(1, inp.n_steps):
        t0 = j * dt
        before = np.flatnonzero(t_sw <= t0)     # a switch at t0 belongs to the interval before
        on = bool(on_sw[before[-1]]) if before.size else False
        expected_kw = -(1.0 + (rated if on else 0.0))
        assert r.series["bess_kw"][j] == pytest.approx(expected_kw, abs=1e-9), j
        mid_switch += bool(((t_sw > t0) & (t_sw < t0 + dt)).any())
    assert mid_switch > 10      # the case that tells the instants apart


def _comfort_scenario(tmp_path):
    """tests/thermal/test_comfort_dispatch.py's home (an air conditioner, a discharge
    event it is told of an hour ahead, sets back for and is clipped in), with a battery
    and solar added."""
    import importlib.util
    from pathlib import Path

    source = Path(__file__).resolve().parents[1] / "thermal" / "test_comfort_dispatch.py"
    spec = importlib.util.spec_from_file_location("_comfort_dispatch", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.scenario_text(tmp_path)
    for table, added in (("[[fleet.prosumers]]", "[site]\nlatitude = 37.34\n"
                          "longitude = -121.89\n\n"),
                         ("[fleet.prosumers.hvac]", "[fleet.prosumers.bess]\ncapacity_kwh = 13.5\n"
                          "max_power_kw = 5.0\ninitial_soc_percent = 40\n\n"
                          "[fleet.prosumers.solar]\ncapacity_kw = 6.0\n\n")):
        assert table in text
        text = text.replace(table, added + table, 1)
    path = tmp_path / "comfort.toml"
    path.write_text(text)
    return path


def test_precooling_setback_and_comfort_clip_walked_equal_boundary_by_boundary(tmp_path):
    """Walks stop while a setpoint is moved or coming back from a move; the run is the
    same both ways."""
    from desim.scenario.loader import load_scenario
    from desim.sim.run import build_inputs

    path = _comfort_scenario(tmp_path)
    runs = []
    for quiet_walk in (False, True):
        engine = Engine(build_inputs(load_scenario(path)), quiet_walk=quiet_walk)
        walks = []
        original = engine.walk.run
        engine.walk.run = lambda k0, k1, w=walks, o=original: (w.append((k0, k1)), o(k0, k1))
        runs.append((engine.run(), walks))
    (a, _), (b, walks) = runs
    assert walks
    assert {"setpoint", "clip", "hvac_on", "hvac_off"} <= set(b.log.to_pandas(b.start)["kind"])
    _assert_same(a, b)
    pd.testing.assert_frame_equal(a.thermal, b.thermal, check_exact=True)


def test_recorded_sessions_walked_equal_boundary_by_boundary():
    """Replayed EV sessions (no daily trip draws: walks run up to the flushes)."""
    def build():
        fleet = make_fleet(3, rng=np.random.default_rng(9))
        sessions = recorded(ev_index=[0, 0, 1, 2, 2], arrival_h=[0.3, 30.05, 1.0, 5.5, 40.2],
                            departure_h=[7.9, 41.2, 9.5, 20.1, 44.0],
                            arrival_soc=[0.2, 0.3, 0.15, 0.5, 0.4],
                            target_soc=[0.8, 0.9, 0.95, 0.7, 0.85])
        return make_inputs(fleet, days=2, sessions=sessions)

    a_inp, b_inp = _fresh(build)
    a, _ = _run(a_inp, False)
    b, walks = _run(b_inp, True, None)
    _assert_same(a, b)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_homes=st.integers(1, 10),
       interval_min=st.sampled_from([5, 15, 30, 60]), hours_per_swing=st.integers(1, 8),
       with_event=st.booleans(),
       kinds=st.sampled_from([None, ("interval", "hvac_on"), ("hvac_off", "bess_full")]))
def test_random_heat_pump_and_ac_homes_walked_equal_boundary_by_boundary(
        seed, n_homes, interval_min, hours_per_swing, with_event, kinds):
    """Random homes with a heat pump or an air conditioner, outdoor temperatures that
    cross the setpoints every few hours, and log kinds kept or not (a ``mode_change``
    detail is taken only where its rows are kept): the same both ways."""
    from attrs import evolve

    from desim.sim.thermal import HVAC_KINDS, HvacTable

    def build():
        rng = np.random.default_rng(seed)
        fleet = make_fleet(n_homes, rng=rng)
        ev_rows = events(("e", 17.0, 2.0, 2.0 * n_homes, 1, 300.0)) if with_event else None
        inp = make_inputs(fleet, days=2, events=ev_rows, seed=seed, interval_min=interval_min,
                          event_kinds=kinds)
        n = n_homes
        setpoint = rng.uniform(20.0, 25.0, n)
        table = HvacTable(np.arange(n), rng.integers(0, len(HVAC_KINDS), n),
                          rng.uniform(1.5, 3.5, n), rng.uniform(2.0, 6.0, n),
                          rng.uniform(2.0, 6.0, n), rng.uniform(2.5, 4.0, n), setpoint,
                          rng.uniform(0.5, 2.0, n), setpoint + rng.uniform(-1.0, 1.0, n))
        steps_per_swing = max(1, round(hours_per_swing * 60 / interval_min))
        swing = (np.arange(inp.n_steps) // steps_per_swing) % 2 == 0
        outdoor = np.where(swing, rng.uniform(28.0, 38.0), rng.uniform(5.0, 15.0))
        return evolve(inp, hvac=table, outdoor_c=outdoor + rng.normal(0.0, 1.0, inp.n_steps))

    a_inp, b_inp = _fresh(build)
    a, _ = _run(a_inp, False)
    b, _ = _run(b_inp, True)
    _assert_same(a, b)
    pd.testing.assert_frame_equal(a.thermal, b.thermal, check_exact=True)


def _tanks(homes, rng, element_kw=(3.0, 5.5), deadband_c=(3.0, 8.0)):
    """A water heater in each of `homes`: resistance or heat-pump tanks of 150-300 l,
    setpoint 48-60 C, starting inside or just outside their band."""
    from desim.sim.waterheater import WATER_HEATER_KINDS, WaterHeaterTable

    n = len(homes)
    cp = 4.186 / 3600.0
    setpoint = rng.uniform(48.0, 60.0, n)
    band = rng.uniform(*deadband_c, n)
    return WaterHeaterTable(homes, rng.integers(0, len(WATER_HEATER_KINDS), n),
                            cp * rng.uniform(150.0, 300.0, n), rng.uniform(0.001, 0.005, n),
                            rng.uniform(*element_kw, n), rng.uniform(1.0, 3.5, n), setpoint,
                            band, setpoint + rng.uniform(-0.7, 0.6, n) * band,
                            rng.uniform(8.0, 18.0, n), rng.uniform(15.0, 25.0, n))


def _draws(n_units, n_steps, interval_h, rng, share=0.3, mean_l=8.0):
    """Hot water drawn per interval (litres): a `share` of intervals draw, exponentially."""
    sizes = rng.exponential(mean_l * interval_h / 0.25, (n_units, n_steps))
    return np.where(rng.random((n_units, n_steps)) < share, sizes, 0.0)


@pytest.mark.parametrize(("dispatch", "with_ac"), [(False, False), (True, False),
                                                   (False, True), (True, True)])
def test_water_heaters_walked_equal_boundary_by_boundary(dispatch, with_ac, monkeypatch):
    """A water heater in most homes (with an air conditioner in every home or none):
    the tanks' switches inside walks and at the boundaries where a new interval's draws
    move their edges, the batteries that see them, and the accounting are the same."""
    from attrs import evolve

    def build():
        rng = np.random.default_rng(11)
        inp = (_thermal_inputs(60, 3, 3, dispatch) if with_ac
               else prepare(bench_inputs(60, 3, 3))[0])
        inp.dispatch_enabled = dispatch
        homes = np.sort(rng.choice(60, 45, replace=False))
        return evolve(inp, water_heaters=_tanks(homes, rng),
                      draw_l=_draws(45, inp.n_steps, inp.interval_h, rng))

    a_inp, b_inp = _fresh(build)
    a, _ = _run(a_inp, False)
    b, walks = _run(b_inp, True, monkeypatch)
    assert sum(k1 - k0 for k0, k1 in walks) > a_inp.n_steps // 3
    log = a.log.to_pandas(a.start)
    on_rows = log[log["kind"] == "water_heater_on"]
    assert len(on_rows) > 100
    # switches walked: inside walked intervals and at boundaries walks opened
    k = on_rows["t_h"].to_numpy() / a_inp.interval_h
    assert sum(any(k0 < x < k1 for k0, k1 in walks) for x in k) > 50
    assert a.series["water_heater_kw"].sum() > 0
    _assert_same(a, b)
    pd.testing.assert_frame_equal(a.water_heaters, b.water_heaters, check_exact=True)


def test_water_heater_switches_beyond_the_buffers_are_walked_the_same(monkeypatch):
    """Switch buffers of one slot and tanks with a narrow band and large elements (several
    switches an interval), beside air conditioners with buffers of one slot too: both
    passes stop inside an interval and the walk resumes each where it stopped."""
    from attrs import evolve

    def build():
        rng = np.random.default_rng(5)
        inp = _thermal_inputs(30, 2, 6, False)
        return evolve(inp, water_heaters=_tanks(np.arange(30), rng, element_kw=(8.0, 12.0),
                                                deadband_c=(0.2, 0.6)),
                      draw_l=_draws(30, inp.n_steps, inp.interval_h, rng, share=0.8))

    def tiny(engine):
        for part in (engine.thermal, engine.water_heaters):
            part._buf = tuple(np.zeros(1, dtype=x.dtype) for x in part._buf)
        return engine

    a_inp, b_inp = _fresh(build)
    a = tiny(Engine(a_inp, quiet_walk=False)).run()
    engine = tiny(Engine(b_inp))
    outs = _spy_walk(monkeypatch)
    b = engine.run()
    full = [out for out in outs if out[4] == walk_module.SWITCHES_FULL]
    assert any(out[5] >= 30 for out in full), "no water heater pass was resumed"
    _assert_same(a, b)
    pd.testing.assert_frame_equal(a.water_heaters, b.water_heaters, check_exact=True)
    pd.testing.assert_frame_equal(a.thermal, b.thermal, check_exact=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_homes=st.integers(1, 8),
       interval_min=st.sampled_from([5, 15, 60]), with_event=st.booleans(),
       kinds=st.sampled_from([None, ("interval", "water_heater_on"),
                              ("water_heater_off", "bess_full")]))
def test_random_water_heater_homes_walked_equal_boundary_by_boundary(
        seed, n_homes, interval_min, with_event, kinds):
    """Random homes, some or all with a water heater, random draws, log kinds kept or
    not: the same both ways."""
    from attrs import evolve

    def build():
        rng = np.random.default_rng(seed)
        fleet = make_fleet(n_homes, rng=rng)
        ev_rows = events(("e", 17.0, 2.0, 2.0 * n_homes, 1, 300.0)) if with_event else None
        inp = make_inputs(fleet, days=2, events=ev_rows, seed=seed, interval_min=interval_min,
                          event_kinds=kinds)
        homes = np.sort(rng.choice(n_homes, rng.integers(1, n_homes + 1), replace=False))
        return evolve(inp, water_heaters=_tanks(homes, rng),
                      draw_l=_draws(len(homes), inp.n_steps, inp.interval_h, rng))

    a_inp, b_inp = _fresh(build)
    a, _ = _run(a_inp, False)
    b, _ = _run(b_inp, True)
    _assert_same(a, b)
    pd.testing.assert_frame_equal(a.water_heaters, b.water_heaters, check_exact=True)
