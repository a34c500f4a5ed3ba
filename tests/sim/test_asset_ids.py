"""Ids in the event log are unique: assets numbered when a home has several of a kind
(two roof arrays, two batteries, two heat pumps), and a fleet that uses a prosumer or EV
id twice refused before the run (it used to run to the end, then fail with a traceback).

The reference numbering below is written from the documented rule (docs/event_log.md),
with a counter per home, not from the engine's vectorized form.
"""

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from attrs import evolve
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from desim.bench.prepared import prepare
from desim.bench.scenario import bench_inputs
from desim.cli import main
from desim.fleet import export_fleet
from desim.fleet.generate import generate_fleet_table
from desim.sim.engine import Engine, asset_ids
from desim.sim.thermal import HVAC_KINDS, HvacTable


def _reference(prosumer_id, owner, suffix):
    per_home = Counter(owner)
    seen: Counter = Counter()
    out = []
    for h in owner:
        seen[h] += 1
        out.append(f"{prosumer_id[h]}{suffix}" if per_home[h] == 1
                   else f"{prosumer_id[h]}{suffix}{seen[h]}")
    return out


@settings(max_examples=200, deadline=None)
@given(owner=st.lists(st.integers(0, 6), max_size=25))
def test_ids_number_the_assets_of_a_home_with_several(owner):
    prosumer_id = np.array([f"home-{i}" for i in range(7)], dtype=object)
    got = asset_ids(prosumer_id, np.array(owner, dtype=np.int64), "/pv")
    assert got.dtype == object
    assert list(got) == _reference(prosumer_id, owner, "/pv")
    assert len(set(got)) == len(got)


def _two_arrays_on_one_home(n=6):
    """A generated fleet with a second PV system on the first home that has one."""
    f = generate_fleet_table(n, 3)
    assert f.n_pv >= 2
    owner = f.pv_prosumer_index.copy()
    owner[1] = owner[0]
    order = np.argsort(owner, kind="stable")
    cols = {k: getattr(f, k)[order] for k in ("pv_capacity_kw", "pv_system_efficiency",
                                              "pv_tilt_deg", "pv_azimuth_deg")}
    return evolve(f, pv_prosumer_index=owner[order], **cols), int(owner[0])


SCENARIO = """
[scenario]
name = "two_roofs"
start = "2026-07-15T00:00"
duration_h = 24
time_zone = "America/Los_Angeles"
seed = 1
interval_min = 15

[site]
latitude = 34.05
longitude = -118.25

[fleet]
file = "fleet.csv"

[output]
formats = ["parquet", "csv"]
"""


def test_a_fleet_file_with_two_roof_arrays_on_a_home_runs_and_writes_its_log(tmp_path):
    table, home = _two_arrays_on_one_home()
    export_fleet(table, tmp_path / "fleet.csv")
    (tmp_path / "s.toml").write_text(SCENARIO)
    out = tmp_path / "out"
    try:
        main(["run", str(tmp_path / "s.toml"), "-o", str(out), "-q"])
    except SystemExit as exc:
        assert exc.code in (0, None)
    # (it used to run to the end and then fail to build the log's asset id dictionary)
    log = pd.read_parquet(out / "events.parquet")
    assert len(log) > 100
    assert len(log) == len(pd.read_csv(out / "events.csv"))
    prosumers = pd.read_parquet(out / "prosumers.parquet")
    pid = str(table.prosumer_id[home])
    assert prosumers.set_index("prosumer_id").loc[pid, "pv_kwh"] > 0


@pytest.mark.parametrize("quiet_walk", [False, True])
def test_two_thermal_units_in_one_home_log_under_their_own_ids(quiet_walk):
    inp = prepare(bench_inputs(6, 1, 2))[0]
    n = 3      # homes 0, 0 and 4
    table = HvacTable(np.array([0, 0, 4]), np.full(n, HVAC_KINDS.index("ac")),
                      np.full(n, 2.0), np.full(n, 3.0), np.full(n, 4.0), np.full(n, 3.0),
                      np.full(n, 24.0), np.full(n, 1.0), np.array([24.4, 23.6, 24.0]))
    inp = evolve(inp, hvac=table, outdoor_c=np.full(inp.n_steps, 33.0))
    res = Engine(inp, quiet_walk=quiet_walk).run()
    log = res.log.to_pandas(res.start)
    rows = log[log["asset_type"] == "hvac"]
    pid = [str(inp.fleet.prosumer_id[h]) for h in (0, 4)]
    assert set(rows["asset_id"].astype(str)) == {f"{pid[0]}/hvac1", f"{pid[0]}/hvac2",
                                                 f"{pid[1]}/hvac"}
    # each unit's first switch is at its own time: unit 0 starts 0.8 C warmer than unit 1
    first = rows.groupby(rows["asset_id"].astype(str))["t_h"].min()
    assert first[f"{pid[0]}/hvac1"] < first[f"{pid[0]}/hvac2"]


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), max_size=8))
def test_first_duplicate_is_the_first_id_seen_twice(ids):
    from desim.fleet.table import first_duplicate

    want = next((v for i, v in enumerate(ids) if v in ids[:i]), None)
    assert first_duplicate(np.array(ids, dtype=object)) == want


def test_a_fleet_file_using_an_ev_id_twice_is_refused_before_the_run(tmp_path, capsys):
    from desim.errors import ParameterError
    from desim.fleet import load_fleet

    f = generate_fleet_table(8, 0)
    assert f.n_evs >= 2
    ids = f.ev_id.copy()
    ids[1] = ids[0]
    export_fleet(evolve(f, ev_id=ids), tmp_path / "fleet.csv")
    with pytest.raises(ParameterError, match=rf"fleet.csv: ev_id: .*{ids[0]}"):
        load_fleet(tmp_path / "fleet.csv")
    (tmp_path / "s.toml").write_text(SCENARIO)
    with pytest.raises(SystemExit) as info:
        main(["run", str(tmp_path / "s.toml"), "-o", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert "ev_id" in err and str(ids[0]) in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def _clash(prosumer_id: str) -> str:
    """Five generated homes and an explicit one named `prosumer_id` (log as Parquet, as a
    sharded run writes it)."""
    return SCENARIO.replace('formats = ["parquet", "csv"]', 'formats = ["parquet"]').replace(
        '[fleet]\nfile = "fleet.csv"', f"""
[fleet.generate]
n = 5

[[fleet.prosumers]]
id = "{prosumer_id}"
annual_load_kwh = 5000
""")


def test_an_explicit_prosumer_named_as_a_generated_one_is_refused_before_the_run(tmp_path,
                                                                                capsys):
    (tmp_path / "s.toml").write_text(_clash("prosumer_000001"))
    with pytest.raises(SystemExit) as info:
        main(["run", str(tmp_path / "s.toml"), "-o", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert "fleet.prosumers" in err and "'prosumer_000001'" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def _scenario(tmp_path, n_generated, explicit_ids, fleet_file=None):
    from desim.scenario import scenario_from_dict

    raw = {"scenario": {"name": "ids", "start": "2026-07-15T00:00", "duration_h": 24,
                        "time_zone": "America/Los_Angeles", "seed": 1},
           "site": {"latitude": 34.05, "longitude": -118.25}, "fleet": {}}
    if n_generated:
        raw["fleet"]["generate"] = {"n": n_generated}
    if explicit_ids:
        raw["fleet"]["prosumers"] = [{"id": i, "annual_load_kwh": 5000,
                                      "evs": [{"capacity_kwh": 60.0, "max_charge_power_kw": 7.2}]}
                                     for i in explicit_ids]
    if fleet_file is not None:
        raw["fleet"]["file"] = fleet_file
    return scenario_from_dict(raw, source="ids.toml", base_dir=tmp_path)


ID_POOL = ["prosumer_000000", "prosumer_000004", "prosumer_000012", "prosumer_1", "prosumer_",
           "prosumer_0000001", "home-a", "home-b", "prosumer_00000x", "PROSUMER_000001"]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 14), explicit=st.lists(st.sampled_from(ID_POOL), unique=True,
                                                 max_size=3),
       file_ids=st.lists(st.sampled_from(ID_POOL), unique=True, max_size=3))
def test_validate_refuses_the_id_clashes_the_run_refuses(tmp_path_factory, n, explicit,
                                                          file_ids):
    """`desim validate` finds ids used twice without generating the fleet; the run builds
    it and checks the table. Over generated, explicit and file homes their verdicts agree."""
    from desim.errors import DesimError
    from desim.scenario.build import build_fleet
    from desim.sim.preflight import check_runnable

    assume(n or explicit or file_ids)
    tmp = tmp_path_factory.mktemp("ids")
    name = None
    if file_ids:
        f = generate_fleet_table(len(file_ids), 9)
        export_fleet(evolve(f, prosumer_id=np.array(file_ids, dtype=object),
                            ev_id=np.array([f"{file_ids[h]}-ev1" for h in f.ev_prosumer_index],
                                           dtype=object)), tmp / "fleet.csv")
        name = "fleet.csv"
    scenario = _scenario(tmp, n, explicit, name)
    try:
        build_fleet(scenario, np.random.SeedSequence(1))
        built = True
    except DesimError:
        built = False
    try:
        check_runnable(scenario)
        valid = True
    except DesimError:
        valid = False
    assert valid == built


def test_a_sharded_run_with_a_clash_exits_2_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "s.toml").write_text(_clash("prosumer_000004"))
    with pytest.raises(SystemExit) as info:
        main(["run", str(tmp_path / "s.toml"), "-o", str(tmp_path / "out"), "-q",
              "--shards", "2"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "prosumer_000004" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
