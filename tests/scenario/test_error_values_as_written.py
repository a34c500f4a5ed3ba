"""Errors name a value as the user wrote it (``'W09'``), never as numpy prints it
(``np.str_('W09')``): overlapping recorded sessions (through `desim run`) and a program
baseline without a like day."""

import shutil
from pathlib import Path

import pytest

from desim.cli import main

ROOT = Path(__file__).resolve().parents[2] / "scenarios"
NUMPY_REPRS = ("np.str_(", "np.float64(", "np.int64(")


def _run_error(path, out, capsys) -> str:
    with pytest.raises(SystemExit) as info:
        main(["run", str(path), "-o", str(out), "-q"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and not any(r in err for r in NUMPY_REPRS), err
    return err


def test_overlapping_sessions_name_the_vehicle(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    lines = (ROOT / "data" / "sessions.csv").read_text().splitlines()
    ev_id, _, _, kwh, kw = lines[1].split(",")
    lines.append(f"{ev_id},2026-05-11T09:00,2026-05-11T20:00,{kwh},{kw}")
    (tmp_path / "data" / "sessions.csv").write_text("\n".join(lines) + "\n")
    shutil.copy(ROOT / "session_replay.toml", tmp_path / "s.toml")
    err = _run_error(tmp_path / "s.toml", tmp_path / "out", capsys)
    assert f"ev_id '{ev_id}'" in err and "overlap" in err


def test_an_event_without_a_like_day_names_the_event_as_written():
    """The market checks its events' like days from the run's arrays (numpy strings)."""
    import numpy as np

    from desim.sim.settlement import like_day_problems

    errors, warnings = like_day_problems([[], [1, 2]], np.array(["first-evening", "e2"]))
    assert len(errors) == 1 and len(warnings) == 1
    assert "event 'first-evening'" in errors[0] and "event 'e2'" in warnings[0]
    assert not any(r in text for r in NUMPY_REPRS for text in errors + warnings)
