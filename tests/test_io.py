"""Safe outputs: guarded --overwrite, the rename-aside swap, sanitised names, file modes."""

import json
import os
import stat
from pathlib import Path

import pytest

from desim import _io
from desim._io import MARKER, atomic_directory, check_output_dir, safe_output_name
from desim.cli import main
from desim.errors import OutputError

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "one_home_day.toml"


def _run(args, capsys):
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def _write(tmp: Path) -> None:
    (tmp / "a.txt").write_text("new")


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_overwrite_of_the_current_directory_keeps_the_users_files(tmp_path, monkeypatch,
                                                                  capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "s.toml").write_text(SCENARIO.read_text())
    code, _, err = _run(["run", "s.toml", "-o", ".", "--overwrite", "-q"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "current directory" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "s.toml"]


def test_overwrite_refuses_a_directory_desim_did_not_write(tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    with pytest.raises(OutputError, match=r"results: expected a directory a previous desim "
                                          r"run wrote .*\.desim-output\.json"):
        check_output_dir(out, overwrite=True)
    assert (out / "thesis.tex").exists()


def test_overwrite_refuses_a_desim_directory_holding_other_files(tmp_path):
    out = atomic_directory(tmp_path / "run", _write)
    (out / "mine.txt").write_text("keep")
    with pytest.raises(OutputError, match="got also mine.txt"):
        check_output_dir(out, overwrite=True)


def test_overwrite_refuses_the_folder_of_the_scenario_file_and_its_parents(tmp_path):
    out = atomic_directory(tmp_path / "run", _write)
    scenario = out / "s.toml"
    scenario.write_text("")
    for target in (out, tmp_path):
        with pytest.raises(OutputError, match="folder holding s.toml"):
            check_output_dir(target, overwrite=True, protect=[scenario])


def test_overwrite_refuses_the_home_directory_and_the_root(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(OutputError, match="home directory"):
        check_output_dir(home, overwrite=True)
    with pytest.raises(OutputError, match="file system root"):
        check_output_dir("/", overwrite=True)


def test_overwrite_replaces_a_previous_run_and_its_report(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(["run", str(SCENARIO), "-o", str(out), "-q"], capsys)[0] == 0
    assert _run(["report", str(out)], capsys)[0] == 0
    assert "report.html" in json.loads((out / MARKER).read_text())["files"]
    code, _, err = _run(["run", str(SCENARIO), "-o", str(out), "-q", "--overwrite"], capsys)
    assert code == 0, err
    assert not (out / "report.html").exists() and (out / "summary.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # nothing left aside


def test_the_swap_keeps_the_old_outputs_when_the_new_cannot_be_renamed_in(tmp_path,
                                                                         monkeypatch):
    out = atomic_directory(tmp_path / "run", _write)
    (out / "a.txt").write_text("old")
    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append((Path(src).name, Path(dst).name))
        if len(calls) == 2:  # the new directory being renamed in
            raise OSError(28, "No space left on device")
        real_rename(src, dst)

    monkeypatch.setattr(_io.os, "rename", rename)
    with pytest.raises(OutputError, match="No space left"):
        atomic_directory(out, _write)
    assert calls[0][0] == "run" and calls[0][1].startswith(".run.old-")
    assert (out / "a.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


@pytest.mark.parametrize(("name", "expected"), [
    ("../x", "_x"), ("/etc/passwd", "_etc_passwd"), ("..", "scenario"), ("", "scenario"),
    ("evening peak (v2)", "evening_peak_v2_"), ("-rf", "rf"), ("ok.name-1", "ok.name-1"),
    ("é" * 300, "_"), ("a" * 300, "a" * 80),
])
def test_output_names_from_scenario_names_are_single_safe_folder_names(name, expected):
    assert safe_output_name(name) == expected


def test_a_scenario_name_cannot_escape_the_output_root(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    text = SCENARIO.read_text().replace('name = "one_home_day"', 'name = "../../escaped"')
    (tmp_path / "s.toml").write_text(text)
    code, out, err = _run(["run", "s.toml", "-q"], capsys)
    assert code == 0, err
    assert (tmp_path / "out" / "_.._escaped" / "summary.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "s.toml"]


def test_an_unwritable_output_fails_before_the_run(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    called = []
    monkeypatch.setattr("desim.sim.run.simulate", lambda *a, **k: called.append(1))
    code, _, err = _run(["run", str(SCENARIO), "-o", str(blocker / "out"), "-q"], capsys)
    assert code == 2 and "Traceback" not in err and "not a directory" in err
    assert not called


def test_outputs_are_0644_files_in_0755_folders_under_umask_022(tmp_path, umask_022, capsys):
    out = tmp_path / "run"
    code, _, err = _run(["run", str(SCENARIO), "-o", str(out), "-q", "--format", "csv",
                         "--format", "parquet"], capsys)
    assert code == 0, err
    assert _run(["report", str(out)], capsys)[0] == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    files = list(out.iterdir())
    assert {"events.csv", "report.html", MARKER} <= {p.name for p in files}
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {
        p.name: 0o644 for p in files}
    fleet = tmp_path / "fleet.csv"
    assert _run(["fleet", "--n", "3", "-o", str(fleet)], capsys)[0] == 0
    assert stat.S_IMODE(fleet.stat().st_mode) == 0o644
