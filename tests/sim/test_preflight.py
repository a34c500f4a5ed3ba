"""validate checks what run checks: preflight before any simulation; fleet files load."""

from pathlib import Path

import pytest

from desim.cli import main
from desim.errors import ScenarioError
from desim.fleet import export_fleet, generate_fleet_table
from desim.scenario import load_scenario
from desim.sim.preflight import check_runnable
from desim.sim.run import build_inputs

ROOT = Path(__file__).resolve().parents[2]
PEAK = (ROOT / "scenarios" / "evening_peak.toml").read_text()


def _cli(args, capsys):
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _file(tmp_path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(("change", "message"), [
    (("n = 1000", "n = 10000000000000"), "fleet.generate.n: expected at most"),
    (('adoption = "california"', 'adoption = "mars"'),
     "fleet.generate.adoption: expected one of 'california', got 'mars'"),
    (("[fleet.generate.overrides]", "[fleet.generate.overrides]\nbogus = 1"),
     "fleet.generate.overrides"),
    (('ev_policy = "smart"', 'ev_policy = "os:getcwd_not_there"'), "control.ev_policy"),
    # a program baseline for an event on the run's first day: nothing to settle it against
    (('allocation = "pro_rata"', 'allocation = "pro_rata"\nbaseline = "caiso_10in10"'),
     "market.baseline: expected at least one like day before event 'peak-2026-07-15' for "
     "caiso_10in10, got none"),
])
def test_validate_rejects_what_run_would_reject_and_both_exit_2(tmp_path, capsys, change,
                                                                message):
    path = _file(tmp_path, PEAK.replace(*change))
    for args in (["validate", str(path)], ["run", str(path), "-o", str(tmp_path / "o"), "-q"]):
        code, text = _cli(args, capsys)
        assert code == 2 and "Traceback" not in text, args
        assert "s.toml: " in text and message in text, text
    assert not (tmp_path / "o").exists()


def test_preflight_lists_every_problem_at_once(tmp_path):
    text = PEAK.replace('adoption = "california"', 'adoption = "mars"').replace(
        'ev_policy = "smart"', 'ev_policy = "no_such_pkg:f"')
    with pytest.raises(ScenarioError) as info:
        check_runnable(load_scenario(_file(tmp_path, text)))
    assert str(info.value).startswith("2 problems in s.toml:")


def test_validate_counts_the_evs_of_described_homes():
    from desim.scenario.summary import summarize

    scenario = load_scenario(ROOT / "scenarios" / "described_homes.toml")
    assert "3 explicit homes with 3 EVs" in summarize(scenario, check_runnable(scenario))
    assert "parsed at run time" in summarize(scenario)


def test_a_fleet_exported_by_desim_fleet_loads_in_a_scenario(tmp_path, capsys):
    code, text = _cli(["fleet", "--n", "12", "--seed", "3", "-o",
                       str(tmp_path / "fleet.csv")], capsys)
    assert code == 0, text
    scenario_text = PEAK.replace("[fleet.generate]", "[fleet]\nfile = \"fleet.csv\"\n\n[x]") \
        .replace("n = 1000\n", "").replace('adoption = "california"\n', "") \
        .replace("[fleet.generate.overrides]", "").replace("[x]", "")
    path = _file(tmp_path, scenario_text)
    code, text = _cli(["validate", str(path)], capsys)
    assert code == 0 and "the fleet in fleet.csv" in text, text
    inputs = build_inputs(load_scenario(path))
    assert inputs.fleet.equals(generate_fleet_table(12, 3))


def test_a_fleet_file_repeating_ids_of_the_generated_fleet_is_rejected(tmp_path):
    export_fleet(generate_fleet_table(3, 0), tmp_path / "fleet.parquet")
    path = _file(tmp_path, PEAK.replace("[fleet.generate]", '[fleet]\nfile = "fleet.parquet"'
                                        "\n\n[fleet.generate]"))
    with pytest.raises(ScenarioError, match="fleet.file: fleet.prosumer_id: expected ids not "
                                            "used elsewhere in the fleet, got 'prosumer_"):
        build_inputs(load_scenario(path))
    with pytest.raises(ScenarioError, match="fleet.file: expected ids not used elsewhere in "
                                            "the fleet, got 'prosumer_000000', also a "
                                            "generated home's"):
        check_runnable(load_scenario(path))


def test_a_file_that_is_not_a_fleet_is_a_clean_error(tmp_path, capsys):
    (tmp_path / "fleet.csv").write_text("hello,world\n1,2\n")
    path = _file(tmp_path, PEAK.replace("[fleet.generate]", '[fleet]\nfile = "fleet.csv"'
                                        "\n\n[fleet.generate]"))
    code, text = _cli(["validate", str(path)], capsys)
    assert code == 2 and "Traceback" not in text and "s.toml: fleet.file: " in text


@pytest.mark.parametrize("args", [
    ["fleet", "--n", "3", "--seed", "-1"],
    ["fleet", "--n", "100000000000000"],
    ["fleet", "--n", "3", "--adoption", "../x"],
])
def test_fleet_command_mistakes_exit_2_without_traceback(tmp_path, capsys, args):
    code, text = _cli([*args, "-o", str(tmp_path / "f.csv")], capsys)
    assert code == 2 and "Traceback" not in text


def test_a_binary_overrides_file_is_a_clean_error(tmp_path, capsys):
    (tmp_path / "o.toml").write_bytes(b"\x7fELF\x02\x01\x01\x00\xd0\xff\xfe")
    code, text = _cli(["fleet", "--n", "3", "--overrides", str(tmp_path / "o.toml"), "-o",
                       str(tmp_path / "f.csv")], capsys)
    assert code == 2 and "Traceback" not in text and "o.toml: expected a TOML file" in text


def test_validate_warns_of_an_event_with_fewer_like_days_than_its_program_baseline_averages(
        tmp_path, capsys):
    # from Monday 13 July, the Wednesday event has two weekdays before it, not ten
    text = (PEAK.replace('start = "2026-07-15T00:00"', 'start = "2026-07-13T00:00"')
            .replace("duration_h = 24", "duration_h = 72")
            .replace('allocation = "pro_rata"', 'allocation = "pro_rata"\nbaseline = "caiso_10in10"'))
    code, out = _cli(["validate", str(_file(tmp_path, text))], capsys)
    assert code == 0, out
    assert out.startswith("ok  ")
    assert "warning: market.baseline: event 'peak-2026-07-15' has 2 like days before it" in out
    # the default baseline averages no like days: nothing to warn of
    code, out = _cli(["validate", str(_file(tmp_path, PEAK, "p.toml"))], capsys)
    assert code == 0 and "warning" not in out
