"""`desim validate`: ok and a summary for good files, exit 2 and no traceback for bad ones."""

import subprocess
import sys
from pathlib import Path

import pytest

from desim.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


def run_main(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_valid_files_print_ok_and_a_summary(capsys):
    code, out, err = run_main(["validate", *map(str, SCENARIOS)], capsys)
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == len(SCENARIOS)
    assert all(line.startswith("ok  ") for line in lines)
    peak = next(line for line in lines if "evening_peak" in line)
    assert "1,000 generated" in peak and "1 dispatch event" in peak


def test_invalid_file_exits_2_with_every_problem_and_no_traceback(tmp_path, capsys):
    bad = tmp_path / "evening_peak.toml"
    bad.write_text((ROOT / "scenarios" / "evening_peak.toml").read_text()
                   .replace("n = 1000", "n = 0").replace("seed = 42", 'seed = "42"'))
    code, out, err = run_main(["validate", str(SCENARIOS[0]), str(bad)], capsys)
    assert code == 2
    assert out.startswith("ok  ")  # the good file is still reported
    assert "evening_peak.toml: fleet.generate.n: expected > 0, got 0" in err
    assert 'evening_peak.toml: scenario.seed: expected an integer, got "42"' in err
    assert "Traceback" not in err


@pytest.mark.parametrize("content", ["[scenario\nname = 1", "\x00\x01 not toml", ""])
def test_malformed_toml_exits_2_without_traceback(tmp_path, capsys, content):
    path = tmp_path / "broken.toml"
    path.write_text(content)
    code, _, err = run_main(["validate", str(path)], capsys)
    assert code == 2
    assert err.startswith("desim: error: ") and "broken.toml" in err
    assert "Traceback" not in err


def test_missing_file_exits_2(tmp_path, capsys):
    code, _, err = run_main(["validate", str(tmp_path / "nope.toml")], capsys)
    assert code == 2
    assert "nope.toml" in err and "Traceback" not in err


def test_module_entry_point_reports_errors_without_traceback(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('[scenario]\nname = "x"\n')
    proc = subprocess.run([sys.executable, "-m", "desim.cli", "validate", str(path)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "x.toml: scenario.time_zone: required key missing" in proc.stderr
    assert "x.toml: scenario.start: required key missing" in proc.stderr
    assert "Traceback" not in proc.stderr
