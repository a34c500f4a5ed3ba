"""The HTML report: written from a run directory, self-contained, well formed."""

from __future__ import annotations

import re
import warnings
from html.parser import HTMLParser
from pathlib import Path

import matplotlib as mpl
import pandas as pd
import pytest

from desim.analysis.metrics import summarize
from desim.analysis.outputs import write_run
from desim.analysis.report import read_sweep, write_report
from desim.cli import main
from desim.errors import DesimError, OutputError
from desim.scenario import scenario_from_toml
from desim.sim.run import simulate

STRESS = Path(__file__).parents[2] / "scenarios" / "ev_departure_stress.toml"
VOID = {"meta", "br", "img", "hr", "link", "input", "col", "area", "base", "wbr", "source"}


def _tiny_scenario(text_changes=()):
    """The departure stress scenario cut to 12 drawn homes (plus its 4 explicit ones)."""
    text = STRESS.read_text().replace("n = 500", "n = 12")
    for old, new in text_changes:
        assert old in text
        text = text.replace(old, new)
    return scenario_from_toml(text, source="tiny_stress.toml")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    run = simulate(_tiny_scenario())
    with warnings.catch_warnings():
        # metrics.like_day_baseline_kw still reads Timestamp.dayofweek (deprecated in
        # pandas 3.1); the report only reads what summarize wrote.
        warnings.filterwarnings("ignore", message="Timestamp.dayofweek is deprecated")
        summary = summarize(run)
    summary["scenario"] = {"name": "tiny_stress", "file": "tiny_stress.toml", "seed": 2026}
    return write_run(tmp_path_factory.mktemp("run") / "out", run, summary)


class _Checker(HTMLParser):
    """Collects tags and fails on any end tag that does not close the open one."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _parse(page: str) -> _Checker:
    checker = _Checker()
    checker.feed(page)
    checker.close()
    return checker


def test_report_is_written_into_the_run_directory_as_well_formed_html(run_dir):
    path = write_report(run_dir)
    assert path == run_dir / "report.html"
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    checker = _parse(page)
    assert checker.errors == []
    assert checker.stack == []
    assert checker.tags.count("html") == 1 and checker.tags.count("body") == 1


def test_every_figure_is_an_inline_svg_with_a_numbered_caption(run_dir):
    page = write_report(run_dir, run_dir / "r.html").read_text(encoding="utf-8")
    figures = re.findall(r"<figure\b.*?</figure>", page, flags=re.S)
    # net power, SOC at departure, shortfall, revenue by profile (no sweep given)
    assert len(figures) == 4
    for i, figure in enumerate(figures, 1):
        assert figure.count("<svg") == 1
        assert f"<b>Figure {i}.</b>" in figure
    assert "no sweep results were given" in page


def test_report_references_no_external_resource(run_dir):
    page = write_report(run_dir, run_dir / "r.html").read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    checker = _parse(page)
    assert not {"script", "link", "img", "iframe"} & set(checker.tags)
    # several inline SVGs on one page: no element id may repeat
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_report_names_the_key_metrics_with_their_values(run_dir):
    import json

    summary = json.loads((run_dir / "summary.json").read_text())
    page = write_report(run_dir, run_dir / "r.html").read_text(encoding="utf-8")
    text = " ".join(_parse(page).text)
    d = summary["ev_departures"]
    for phrase in ("household load", "EV charging", "grid import / export",
                   "departures meeting their SOC requirement", "missed, feasible at plug-in",
                   "missed, infeasible at plug-in",
                   "shortfall feasible at plug-in (dispatch or site limit)",
                   "delivered vs counterfactual", "payments to prosumers", "profit"):
        assert phrase in text
    assert f"{d['met']:,} of {d['departures']:,}" in text
    event = summary["dispatch"][0]
    assert event["event_id"] in text
    assert f"{event['delivered_vs_counterfactual_kw']:,.1f} kW" in text
    assert f"${summary['revenue']['total_usd']:,.2f}" in text


def test_report_leaves_matplotlib_global_state_alone(run_dir):
    before = dict(mpl.rcParams)
    write_report(run_dir, run_dir / "r.html")
    assert dict(mpl.rcParams) == before


def test_sweep_results_add_the_depth_figure(run_dir, tmp_path):
    rows = [{"target_kw": t, "ev_policy": p, "departure_guard": g, "seed": s,
             "shortfall_caused_by_dispatch_kwh": (t / 100.0) * (p == "uncontrolled") * s}
            for t in (100.0, 200.0, 300.0) for p in ("smart", "uncontrolled")
            for g in (True,) for s in (1, 2)]
    sweep_dir = tmp_path / "sweep"
    sweep_dir.mkdir()
    pd.DataFrame(rows).to_parquet(sweep_dir / "results.parquet")
    table = read_sweep(sweep_dir)
    assert (table.x, table.y, table.group) == ("target_kw", "shortfall_caused_by_dispatch_kwh",
                                               ("ev_policy",))
    page = write_report(run_dir, tmp_path / "r.html", sweep=sweep_dir).read_text("utf-8")
    figures = re.findall(r"<figure\b.*?</figure>", page, flags=re.S)
    assert len(figures) == 5
    assert "<svg" in figures[-1] and "dispatch depth" in figures[-1]


def test_sweep_without_a_shortfall_column_is_an_error_naming_the_file(tmp_path):
    file = tmp_path / "results.parquet"
    pd.DataFrame({"target_kw": [1.0, 2.0], "met_share": [1.0, 0.9]}).to_parquet(file)
    with pytest.raises(OutputError, match=re.escape(str(file)) + ".*shortfall"):
        read_sweep(file)


def test_missing_run_directory_is_an_error_naming_it(tmp_path):
    bad = tmp_path / "nowhere"
    with pytest.raises(DesimError, match=re.escape(str(bad))):
        write_report(bad)


def test_directory_without_run_files_is_an_error_listing_them(tmp_path):
    (tmp_path / "notes.txt").write_text("not a run")
    with pytest.raises(OutputError) as info:
        write_report(tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message
    assert "summary.json" in message and "series.parquet" in message
    assert not (tmp_path / "report.html").exists()


def test_cli_report_on_a_bad_directory_exits_2_naming_it(tmp_path, capsys):
    bad = tmp_path / "empty"
    bad.mkdir()
    with pytest.raises(SystemExit) as info:
        main(["report", str(bad)])
    assert info.value.code == 2
    assert str(bad) in capsys.readouterr().err


def test_cli_report_writes_the_named_file(run_dir, tmp_path, capsys):
    out = tmp_path / "sub" / "page.html"
    main(["report", str(run_dir), "-o", str(out)])
    assert out.is_file()
    assert str(out) in capsys.readouterr().out
    assert [p.name for p in out.parent.iterdir()] == ["page.html"]   # no temporary left


def test_run_without_dispatch_events_reports_without_event_figures(tmp_path):
    from desim.scenario import load_scenario

    scenario = load_scenario(Path(__file__).parents[2] / "scenarios" / "one_home_day.toml")
    run = simulate(scenario)
    assert run.counterfactual is None
    out = write_run(tmp_path / "one", run, summarize(run))
    page = write_report(out).read_text(encoding="utf-8")
    figures = re.findall(r"<figure\b.*?</figure>", page, flags=re.S)
    assert len(figures) == 3            # net power, SOC at departure, shortfall
    assert "The scenario has no dispatch events." in page
    assert "counterfactual moved by" not in page


def test_the_feasible_shortfall_is_not_blamed_on_dispatch_in_a_run_without_dispatch():
    from desim.analysis.report import _feasible_shortfall_label

    assert "dispatch or site limit" in _feasible_shortfall_label({"dispatch": [{"id": 1}]})
    label = _feasible_shortfall_label({"dispatch": []})
    assert "no dispatch in this run" in label and "caused by dispatch" not in label
