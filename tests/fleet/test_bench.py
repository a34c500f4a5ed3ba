"""The shipped fleet benchmark reports timings and memory (no timing asserts)."""

import json

from desim.bench.fleet import main, run_fleet_benchmark
from desim.fleet import generate_fleet_table


def test_benchmark_reports_each_size_with_bytes_per_prosumer():
    report = run_fleet_benchmark(sizes=(100, 1000), seed=1, repeats=1)
    assert [r["n_prosumers"] for r in report["results"]] == [100, 1000]
    r = report["results"][1]
    assert r["nbytes"] == generate_fleet_table(1000, 1).nbytes()
    assert r["bytes_per_prosumer"] == r["nbytes"] / 1000
    assert r["best_s"] == min(r["times_s"]) and r["target_s"] is None


def test_benchmark_cli_writes_json(tmp_path, capsys):
    path = tmp_path / "bench.json"
    main(["--sizes", "50", "--repeats", "1", "--json", str(path)])
    assert json.loads(path.read_text())["results"][0]["n_prosumers"] == 50
    assert "50" in capsys.readouterr().out
