"""Sweeps: --set parsing, grid expansion, failure isolation, seeds, Dask parity, CLI."""

from __future__ import annotations

import json
import re
import sys
import textwrap

import pandas as pd
import pytest

from desim.analysis.sweep import (
    RESULTS_FILE,
    SPEC_FILE,
    expand_grid,
    parse_set,
    run_sweep,
    summarize_sweep,
)
from desim.cli import main
from desim.errors import DesimError, ScenarioError
from desim.scenario import load_scenario

TINY = textwrap.dedent("""
    [scenario]
    name = "tiny"
    start = "2026-07-15T00:00"
    duration_h = 24
    time_zone = "America/Los_Angeles"
    seed = 7
    interval_min = 15

    [site]
    latitude = 34.05
    longitude = -118.25
    altitude_m = 89

    [fleet.generate]
    n = 20
    adoption = "california"

    [profiles]
    solar = "clearsky"
    load = "california"
    prices = "pge_e_tou_c"

    [[market.events]]
    id = "peak"
    start = "2026-07-15T17:00"
    duration_h = 3
    target_kw = 10
    direction = "discharge"
    price_per_mwh = 300

    [control]
    ev_policy = "smart"
""")

RUNTIME_COLUMNS = ["runtime_s"]


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


@pytest.fixture
def raising_policy(tmp_path, monkeypatch):
    """A "module:callable" EV policy whose factory raises inside the run."""
    (tmp_path / "sweep_boom_policy.py").write_text(
        "def make():\n    raise RuntimeError('policy exploded')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "sweep_boom_policy:make"


# -- --set parsing -----------------------------------------------------------------------

def test_parse_set_reads_values_like_toml_scalars():
    assert parse_set("market.events[0].target_kw=200,400,800.5") == (
        "market.events[0].target_kw", [200, 400, 800.5])
    path, values = parse_set("control.departure_guard=true,false")
    assert values == [True, False] and all(type(v) is bool for v in values)
    assert parse_set("control.ev_policy=uncontrolled, smart,pkg.mod:make")[1] == [
        "uncontrolled", "smart", "pkg.mod:make"]
    assert parse_set('scenario.name="a,b",\'c\'')[1] == ["a,b", "c"]
    assert parse_set("fleet.prosumers[2].evs[0].departure=07:30")[1] == ["07:30"]


@pytest.mark.parametrize("text", ["control.ev_policy", "control..x=1", "a[x]=1", "=1",
                                  "control.ev_policy=smart,,uncontrolled",
                                  "control.ev_policy=smart,smart"])
def test_parse_set_rejects_malformed_text_naming_it(text):
    with pytest.raises(ScenarioError, match="--set"):
        parse_set(text)


# -- grid expansion ----------------------------------------------------------------------

def test_grid_is_the_product_of_sets_times_seeds_first_set_slowest():
    raw = {"scenario": {"seed": 40}}
    points = expand_grid(raw, {"a.x": [1, 2], "b.y": ["p", "q", "r"]}, seeds=2)
    assert len(points) == 2 * 3 * 2
    assert [p.index for p in points] == list(range(12))
    assert [(p.params, p.seed) for p in points[:3]] == [
        ((("a.x", 1), ("b.y", "p")), 40), ((("a.x", 1), ("b.y", "p")), 41),
        ((("a.x", 1), ("b.y", "q")), 40)]
    assert [p.case for p in points] == [k // 2 for k in range(12)]
    explicit = expand_grid(raw, {"a.x": [1]}, seeds=[5, 3])
    assert [p.seed for p in explicit] == [5, 3]


def test_list_index_out_of_range_is_a_scenario_error_naming_the_path(tiny):
    with pytest.raises(ScenarioError, match=r"market\.events\[3\]\.target_kw.*got 3"):
        run_sweep(tiny, {"market.events[3].target_kw": [5]})


@pytest.mark.parametrize(("path", "needle"), [
    ("scenario.name.x", "expected a table at scenario.name"),
    ("market[0].id", "expected an array at market"),
    ("sessions[0].csv", "sessions is not in the scenario"),
])
def test_path_through_a_non_table_is_a_scenario_error_naming_it(tiny, path, needle):
    with pytest.raises(ScenarioError, match=re.escape(f"--set {path}")) as err:
        run_sweep(tiny, {path: [1]})
    assert needle in str(err.value)


def test_sweep_of_a_loaded_scenario_addresses_its_dict_keys(tiny):
    table = run_sweep(load_scenario(tiny), {"market.events[0].target_kw": [5, 20]})
    assert list(table["event.peak.target_kw"]) == [5.0, 20.0]
    assert (table["status"] == "ok").all()


def test_dask_missing_is_a_desim_error_naming_the_extra(tiny, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(DesimError, match=re.escape("desim[distributed]")):
        run_sweep(tiny, {}, workers=2)


def test_unknown_key_is_a_scenario_error_naming_path_and_value(tiny):
    with pytest.raises(ScenarioError) as err:
        run_sweep(tiny, {"control.ev_polcy": ["smart"]})
    assert "control.ev_polcy" in str(err.value)


def test_bad_value_is_reported_before_anything_runs(tiny):
    calls = []
    with pytest.raises(ScenarioError) as err:
        run_sweep(tiny, {"market.events[0].target_kw": [10, -5],
                         "control.ev_policy": ["smart", "greedy"]},
                  progress=lambda *a: calls.append(a))
    message = str(err.value)
    assert "--set market.events[0].target_kw=-5" in message and "-5" in message
    assert "--set control.ev_policy=greedy" in message and '"greedy"' in message
    assert calls == []


# -- running -----------------------------------------------------------------------------

def test_failed_point_is_recorded_without_sinking_the_others(tiny, raising_policy):
    table = run_sweep(tiny, {"control.ev_policy": ["smart", raising_policy, "uncontrolled"]})
    assert list(table["status"]) == ["ok", "failed", "ok"]
    assert "policy exploded" in table.loc[1, "error"]
    assert table.loc[[0, 2], "error"].isna().all()
    assert table.loc[[0, 2], "ev_departures"].notna().all()
    assert table.loc[1, ["ev_met_share", "event.peak.delivered_kw"]].isna().all()
    assert table.attrs["sweep"]["n_failed"] == 1


def test_seeds_change_results_and_default_to_the_scenario_seed(tiny):
    table = run_sweep(tiny, {}, seeds=3)
    assert list(table["seed"]) == [7, 8, 9]
    assert (table["status"] == "ok").all()
    assert table["load_kwh"].nunique() == 3
    again = run_sweep(tiny, {}, seeds=[8])
    pd.testing.assert_series_equal(again["load_kwh"].reset_index(drop=True),
                                   table.loc[[1], "load_kwh"].reset_index(drop=True))


def test_table_has_point_parameters_and_metrics(tiny):
    table = run_sweep(tiny, {"market.events[0].target_kw": [5, 20],
                             "control.departure_guard": [True, False]})
    assert list(table.columns[:6]) == ["point", "case", "seed", "market.events[0].target_kw",
                                       "control.departure_guard", "status"]
    assert list(table["market.events[0].target_kw"]) == [5, 5, 20, 20]
    assert table["control.departure_guard"].dtype == bool
    assert list(table["event.peak.target_kw"]) == [5.0, 5.0, 20.0, 20.0]
    share = table["event.peak.delivered_kw"] / table["event.peak.target_kw"]
    pd.testing.assert_series_equal(share, table["event.peak.target_share"],
                                   check_names=False)
    cases = summarize_sweep(table)
    assert len(cases) == 4 and (cases["n_ok"] == 1).all()


def test_in_process_and_two_worker_dask_cluster_give_the_same_table(tiny):
    pytest.importorskip("distributed")
    sets = {"control.ev_policy": ["uncontrolled", "smart"],
            "market.events[0].target_kw": [5, 20]}
    here = run_sweep(tiny, sets, seeds=1)
    seen = []
    there = run_sweep(tiny, sets, seeds=1, workers=2, progress=lambda *a: seen.append(a))
    assert (here["status"] == "ok").all()
    pd.testing.assert_frame_equal(here.drop(columns=RUNTIME_COLUMNS),
                                  there.drop(columns=RUNTIME_COLUMNS))
    assert seen[-1] == (4, 4, 0)
    assert there.attrs["sweep"]["execution"] == {"mode": "dask-local", "workers": 2}


def test_workers_and_scheduler_together_are_refused(tiny):
    with pytest.raises(DesimError, match="--workers and --scheduler"):
        run_sweep(tiny, {}, workers=2, scheduler="tcp://127.0.0.1:1")


# -- command line ------------------------------------------------------------------------

def _main(args):
    try:
        main(args)
    except SystemExit as exc:
        return exc.code
    return 0


def test_cli_writes_results_and_spec_and_exits_0_with_a_failed_point(tiny, tmp_path,
                                                                     raising_policy, capsys):
    out = tmp_path / "out"
    code = _main(["sweep", str(tiny), "--set", f"control.ev_policy=smart,{raising_policy}",
                  "--seeds", "2", "-o", str(out), "-q"])
    assert code == 0
    table = pd.read_parquet(out / RESULTS_FILE)
    assert list(table["status"]) == ["ok", "ok", "failed", "failed"]
    spec = json.loads((out / SPEC_FILE).read_text())
    assert spec["sets"] == {"control.ev_policy": ["smart", raising_policy]}
    assert spec["seeds_per_case"] == [7, 8]
    assert "2 ok, 2 failed" in capsys.readouterr().out


def test_cli_exits_1_when_every_point_failed(tiny, tmp_path, raising_policy):
    code = _main(["sweep", str(tiny), "--set", f"control.ev_policy={raising_policy}",
                  "-o", str(tmp_path / "out"), "-q"])
    assert code == 1
    assert (tmp_path / "out" / RESULTS_FILE).exists()


def test_cli_bad_path_exits_2_naming_it_and_writes_nothing(tiny, tmp_path, capsys):
    code = _main(["sweep", str(tiny), "--set", "market.events[1].target_kw=5",
                  "-o", str(tmp_path / "out")])
    assert code == 2
    assert "market.events[1].target_kw" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_refuses_existing_output_without_overwrite(tiny, tmp_path):
    out = tmp_path / "out"
    assert _main(["sweep", str(tiny), "-o", str(out), "-q", "--seed-list", "1"]) == 0
    assert _main(["sweep", str(tiny), "-o", str(out), "-q"]) == 2
    assert _main(["sweep", str(tiny), "-o", str(out), "-q", "--overwrite",
                  "--seed-list", "3,4"]) == 0
    assert list(pd.read_parquet(out / RESULTS_FILE)["seed"]) == [3, 4]


def test_cli_overwrite_never_deletes_a_users_file(tiny, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert _main(["sweep", str(tiny), "-o", str(out), "-q", "--overwrite"]) == 2
    assert (out / "keep.txt").read_text() == "x"


def test_cli_seeds_and_seed_list_together_exit_2(tiny, tmp_path):
    assert _main(["sweep", str(tiny), "--seeds", "2", "--seed-list", "1",
                  "-o", str(tmp_path / "o")]) == 2
