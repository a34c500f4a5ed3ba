"""The run summary's thermal block: present with units, the same serial and sharded."""

import json
from pathlib import Path

import pytest

from desim.cli import main

ROOT = Path(__file__).resolve().parents[2]
HEATWAVE = ROOT / "scenarios" / "heatwave_sacramento.toml"


def _run(args):
    try:
        main(args)
    except SystemExit as exc:  # click may exit 0 explicitly
        assert exc.code in (0, None)


def test_heatwave_summary_has_a_thermal_block_equal_serial_and_sharded(tmp_path):
    _run(["run", str(HEATWAVE), "-o", str(tmp_path / "serial"), "-q"])
    _run(["run", str(HEATWAVE), "-o", str(tmp_path / "sharded"), "-q", "--shards", "2"])
    serial = json.loads((tmp_path / "serial" / "summary.json").read_text())["thermal"]
    sharded = json.loads((tmp_path / "sharded" / "summary.json").read_text())["thermal"]
    assert serial["units"] == 5 and serial["by_kind"] == {"ac": 4, "heat_pump": 1}
    # the undersized bungalow and window unit cannot hold their band in the afternoon
    assert serial["units_outside_band"] >= 2 and serial["degree_hours_outside_band_c_h"] > 10
    assert serial["max_temperature_c"] > 30 and serial["switches"] > 10
    for key, value in serial.items():
        assert sharded[key] == (pytest.approx(value, abs=1e-9) if isinstance(value, float)
                                else value), key
