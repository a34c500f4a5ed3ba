"""The `desim` command line. The only module that prints or exits.

Every user mistake surfaces as a `DesimError`; `main` prints its message to
stderr (no traceback) and exits 2. Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import sys

import click

from desim import __version__
from desim.errors import DesimError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="desim")
def cli() -> None:
    """desim: discrete-event simulation of residential prosumers for VPP studies."""

# -- desim run ---------------------------------------------------------------------------
def _progress_callback(console, label: str):
    """A rich progress bar that appears only once a run has taken over a second."""
    import time

    from rich.progress import BarColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    state = {"t0": time.perf_counter(), "bar": None, "task": None}

    def update(fraction: float) -> None:
        if state["bar"] is None:
            if time.perf_counter() - state["t0"] < 1.0 or fraction >= 1.0:
                return
            state["bar"] = Progress("[progress.description]{task.description}", BarColumn(),
                                    "{task.percentage:>3.0f}%", TimeElapsedColumn(),
                                    TimeRemainingColumn(), console=console, transient=True)
            state["bar"].start()
            state["task"] = state["bar"].add_task(label, total=1.0)
        state["bar"].update(state["task"], completed=fraction)

    def close() -> None:
        if state["bar"] is not None:
            state["bar"].stop()

    return update, close


def _summary_table(summary: dict):
    from rich.table import Table

    e, d = summary["energy"], summary["ev_departures"]
    table = Table(title="Run summary", show_header=True, header_style="bold")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    rows = [
        ("prosumers / EVs / batteries / PV", "{prosumers} / {evs} / {batteries} / {pv_systems}"
         .format(**summary["fleet"])),
        ("household load", f"{e['load_kwh']:,.1f} kWh"),
        ("solar generation", f"{e['pv_kwh']:,.1f} kWh"),
        ("EV charging", f"{e['ev_charged_kwh']:,.1f} kWh"),
        ("battery charged / discharged",
         f"{e['bess_charged_kwh']:,.1f} / {e['bess_discharged_kwh']:,.1f} kWh"),
        ("grid import / export", f"{e['import_kwh']:,.1f} / {e['export_kwh']:,.1f} kWh"),
        ("peak fleet import", f"{e['peak_import_kw']:,.1f} kW"),
        ("EVs meeting departure SOC", f"{d['met']} of {d['departures']} "
                                      f"({100 * d['met_share']:.1f}%)" if d["departures"]
         else "no departure in the run"),
        ("shortfall mean / p95 / max", "{mean:.2f} / {p95:.2f} / {max:.2f} kWh"
         .format(**d["shortfall_kwh"])),
        ("missed, feasible at plug-in", str(d["missed_feasible_at_plugin"])),
        ("missed, infeasible at plug-in", str(d["missed_infeasible_at_plugin"])),
        ("shortfall by cause: infeasible / congestion / dispatch",
         " / ".join(f"{d['shortfall_by_cause'][c]['kwh']:,.1f}"
                    for c in ("infeasible", "congestion", "dispatch")) + " kWh"),
    ]
    wh = summary.get("water_heaters")
    if wh:
        rows += [
            ("water heaters / switches", f"{wh['units']} / {wh['switches']:,}"),
            ("water heaters' energy", f"{wh['energy_kwh']:,.1f} kWh"),
            ("tank temperature min / max",
             f"{wh['min_temperature_c']:.1f} / {wh['max_temperature_c']:.1f} C"),
        ]
    th = summary.get("thermal")
    if th:
        rows += [
            ("thermal units / switches", f"{th['units']} / {th['switches']:,}"),
            ("thermal units' energy", f"{th['hvac_kwh']:,.1f} kWh"),
            ("indoor temperature min / max",
             f"{th['min_temperature_c']:.1f} / {th['max_temperature_c']:.1f} C"),
            ("degree-hours outside the comfort band",
             f"{th['degree_hours_outside_band_c_h']:,.2f} C h "
             f"({th['units_outside_band']} units)"),
        ]
        by_cause = th.get("comfort_by_cause_c_h", {})
        if by_cause.get("dispatch"):
            rows.append(("degree-hours of agreed setbacks (within preferences)",
                         f"{by_cause['dispatch']:,.2f} C h"))
    for ev in summary["dispatch"]:
        delivered = ev.get("delivered_vs_counterfactual_kw")
        rows.append((f"event {ev['event_id']}: delivered / target",
                     f"{delivered:,.1f} / {ev['target_kw']:,.1f} kW" if delivered is not None
                     else "no counterfactual run"))
        rows.append((f"event {ev['event_id']}: settled ({ev['baseline']}) / delivered",
                     f"{ev['settled_kwh']:,.1f} / "
                     f"{ev['delivered_vs_counterfactual_kwh']:,.1f} kWh"))
        if ev.get("rebound_kwh") is not None:
            rows.append((f"event {ev['event_id']}: rebound after the window",
                         f"{ev['rebound_kwh']:,.1f} kWh"))
        rows.append((f"event {ev['event_id']}: payments / aggregator profit",
                     f"${ev['payments_usd']:,.2f} / ${ev['aggregator_profit_usd']:,.2f}"))
    for k, v in rows:
        table.add_row(k, v)
    return table


@cli.command("run")
@click.argument("scenario_file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output directory (default: out/<scenario name>).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
@click.option("--format", "formats", multiple=True,
              type=click.Choice(["parquet", "csv", "jsonl"]),
              help="Event log format(s); default from the scenario (parquet).")
@click.option("--parser", "parser_name", type=click.Choice(["rules", "gemini", "hybrid"]),
              default=None, help="Parser for prosumer descriptions (default: rules).")
@click.option("--counterfactual/--no-counterfactual", default=None,
              help="Also run without dispatch to measure delivery (default: when the "
                   "scenario has dispatch events).")
@click.option("--shards", type=int, default=None, metavar="K",
              help="Split the fleet into K shards of contiguous homes; each writes its part "
                   "of a partitioned log, events/shard=<s>/ (default: [run] shards, else "
                   "no sharding).")
@click.option("--workers", type=int, default=None, metavar="W",
              help="Run the shards on a local Dask cluster of W worker processes.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run the shards on an existing Dask cluster (e.g. tcp://10.0.0.5:8786); "
                   "its workers must reach the output directory at the same path.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary table.")
def run_command(scenario_file, out_dir, overwrite, formats, parser_name, counterfactual,
                shards, workers, scheduler, quiet):
    """Run SCENARIO_FILE and write events, summary.json and series to the output directory.

    With --shards (or a [run] table) the fleet runs as shards, one after another
    here or on Dask (--workers, --scheduler); see docs/performance.md.
    """
    import json
    from pathlib import Path

    from rich.console import Console

    from desim._io import safe_output_name
    from desim.analysis.metrics import summarize
    from desim.analysis.outputs import check_output_dir, write_run
    from desim.scenario import load_scenario
    from desim.sim.preflight import check_runnable
    from desim.sim.run import simulate

    scenario = load_scenario(scenario_file)
    out = Path(out_dir) if out_dir else Path("out") / safe_output_name(scenario.info.name)
    check_output_dir(out, overwrite, protect=[scenario_file])
    parser = None
    if parser_name is not None:
        from desim.llm import get_parser
        parser = get_parser(parser_name)
    from desim.analysis.sharded import resolve_shards

    n_shards, workers, scheduler = resolve_shards(scenario, shards, workers, scheduler,
                                                  tuple(formats))
    check_runnable(scenario, parser, descriptions=parser_name in (None, "rules"))
    console = Console(stderr=True)
    update, close = _progress_callback(console, scenario.info.name) if not quiet else (None,
                                                                                       None)
    if n_shards is not None:
        _run_sharded(scenario, scenario_file, out, overwrite, n_shards, workers, scheduler,
                     counterfactual, parser, update, close, quiet)
        return
    try:
        run = simulate(scenario, progress=update, counterfactual=counterfactual, parser=parser)
    finally:
        if close is not None:
            close()
    summary = summarize(run)
    summary["scenario"] = {"name": scenario.info.name, "file": str(scenario_file),
                           "seed": scenario.info.seed}
    extra = {}
    if run.resolved:
        extra["resolved_prosumers.json"] = json.dumps(run.resolved, indent=2, default=str) + "\n"
    write_run(out, run, summary, formats or tuple(scenario.output.formats), overwrite, extra,
              protect=[scenario_file])
    if not quiet:
        Console().print(_summary_table(summary))
    click.echo(f"wrote {out}/")


def _run_sharded(scenario, scenario_file, out, overwrite, n_shards, workers, scheduler,
                 counterfactual, parser, update, close, quiet) -> None:
    """`desim run --shards`: failed shards are listed by number, the command exits 1."""
    from rich.console import Console

    from desim.analysis.sharded import run_sharded_scenario
    from desim.errors import ShardError

    failure = None
    try:
        run = run_sharded_scenario(scenario, out, n_shards, workers, scheduler,
                                   counterfactual=counterfactual, parser=parser,
                                   progress=update, overwrite=overwrite,
                                   protect=[scenario_file], scenario_file=scenario_file)
    except ShardError as exc:
        failure = exc
    finally:
        if close is not None:
            close()
    if failure is not None:
        click.echo(f"desim: error: {failure}", err=True)
        sys.exit(1)
    if not quiet:
        Console().print(_summary_table(run.summary))
    click.echo(f"wrote {out}/ ({n_shards} shards, log in {out}/events/)")


@cli.command("demo")
@click.option("--price-per-mwh", type=float, default=250.0, show_default=True,
              help="Offered price, $/MWh.")
@click.option("--duration-h", type=float, default=3.0, show_default=True,
              help="Event window, hours.")
@click.option("--start-hour", type=float, default=17.0, show_default=True,
              help="Window start, hours after midnight (for EV deferral).")
def demo(price_per_mwh: float, duration_h: float, start_hour: float) -> None:
    """A catalog prosumer (Powerwall 2, Model 3 Long Range, 8 kW solar) and its offer."""
    from rich.console import Console
    from rich.table import Table

    from desim.assets import BESS, ElectricVehicle, Prosumer, SolarPV
    from desim.units import format_hhmm

    home = Prosumer(
        "demo-home",
        bess=BESS.from_catalog("Tesla Powerwall 2", current_soc_percent=80.0),
        ev=ElectricVehicle.from_catalog("Tesla Model 3 Long Range", current_soc_percent=40.0,
                                        charge_deadline="07:30", ev_id="demo-ev"),
        solar=SolarPV(8.0),
        participation_willingness=0.8, backup_power_hours=2.0, max_discharge_percent=80.0)
    flex = home.get_available_flexibility_kw(duration_h, now_hour_of_day=start_hour)
    offer = home.evaluate_market_opportunity(price_per_mwh=price_per_mwh,
                                             duration_hours=duration_h,
                                             now_hour_of_day=start_hour)
    console = Console()
    assets = Table(title="Prosumer demo-home")
    for column in ("asset", "product", "size", "state"):
        assets.add_column(column)
    bess, ev = home.bess, home.ev
    assets.add_row("battery", bess.product.name,
                   f"{bess.capacity_kwh:g} kWh / {bess.max_power_kw:g} kW",
                   f"SOC {bess.current_soc_percent:.1f} %")
    assets.add_row("EV", ev.product.name,
                   f"{ev.battery_capacity_kwh:g} kWh / {ev.max_charge_power_kw:g} kW",
                   f"SOC {ev.current_soc_percent:.1f} %, needs "
                   f"{ev.min_departure_soc_percent:.0f} % by {ev.charge_deadline}")
    assets.add_row("solar", "-", f"{home.solar.capacity_kw:g} kWp", "-")
    console.print(assets)
    flex_table = Table(title=f"Flexibility for {duration_h:g} h from {format_hhmm(start_hour)} (kW)")
    flex_table.add_column("part")
    flex_table.add_column("kW", justify="right")
    for key, value in flex.items():
        flex_table.add_row(key, f"{value:.2f}")
    console.print(flex_table)
    market = Table(title=f"Market evaluation at {price_per_mwh:g} $/MWh")
    market.add_column("field")
    market.add_column("value", justify="right")
    for key, value in offer.to_dict().items():
        text = ("; ".join(value) or "-") if key == "reasons" else (
            f"{value:.3f}" if isinstance(value, float) else str(value))
        market.add_row(key, text)
    console.print(market)
@cli.command("fleet")
@click.option("--n", "n", type=click.IntRange(min=0), required=True,
              help="Number of prosumers to draw.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random seed (>= 0).")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="File to write (fleet_summary.csv, prosumer_configs.json, *.parquet).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "parquet"]), default=None,
              help="Output format [default: from the file suffix].")
@click.option("--adoption", default="california", show_default=True,
              help="Adoption preset (desim/fleet/data/<name>.toml).")
@click.option("--overrides", type=click.Path(exists=True, dir_okay=False), default=None,
              help="TOML file of FleetConfig overrides (keys as in the preset).")
def fleet_command(n: int, seed: int, output: str, fmt: str | None, adoption: str,
                  overrides: str | None) -> None:
    """Draw a fleet of N prosumers, print its statistics and write it."""
    import tomllib

    from rich.console import Console
    from rich.table import Table

    from desim.errors import ScenarioError
    from desim.fleet import FleetConfig, export_fleet, fleet_statistics, generate_fleet_table
    from desim.fleet.limits import fleet_size_problem

    too_many = fleet_size_problem(n, "--n")
    if too_many is not None:
        raise ScenarioError(too_many)
    raw = {}
    if overrides is not None:
        try:
            with open(overrides, "rb") as fh:
                raw = tomllib.load(fh)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"{overrides}: expected a TOML file of FleetConfig keys, got "
                                f"{exc}") from exc
        except OSError as exc:
            raise ScenarioError(f"{overrides}: cannot read ({exc.strerror or exc})") from exc
    try:
        config = FleetConfig.from_dict(raw, path="fleet.generate.overrides", base=adoption)
    except ScenarioError as exc:
        raise ScenarioError(f"{overrides}: {exc}" if overrides else str(exc)) from exc
    table = generate_fleet_table(n, seed, config)
    written = export_fleet(table, output, fmt)
    stats = fleet_statistics(table)
    view = Table(title=f"desim fleet: {n:,} prosumers, seed {seed}, {adoption}")
    view.add_column("quantity")
    view.add_column("value", justify="right")
    for kind in ("bess", "ev", "solar"):
        view.add_row(f"households with {kind}",
                     f"{stats['asset_counts'][kind]:,} ({stats['asset_percentages'][kind]:.1f}%)")
    view.add_row("EVs", f"{stats['asset_counts']['evs']:,}")
    caps = stats["total_capacities"]
    view.add_row("battery capacity", f"{caps['bess_kwh']:,.1f} kWh / {caps['bess_kw']:,.1f} kW")
    view.add_row("EV battery capacity", f"{caps['ev_kwh']:,.1f} kWh")
    view.add_row("PV capacity (DC)", f"{caps['solar_kw']:,.1f} kW")
    for name, share in stats["profile_percentages"].items():
        view.add_row(f"profile {name}", f"{share:.1f}%")
    view.add_row("mean annual load", f"{stats['load']['mean_annual_load_kwh']:,.0f} kWh")
    Console().print(view)
    click.echo(f"wrote {written}")


@cli.command("validate")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=str))
def validate_command(files: tuple[str, ...]) -> None:
    """Check scenario FILES; print "ok" and a summary for each valid one.

    Every problem of every file is reported at once (exit status 2).
    """
    from desim.errors import ScenarioError
    from desim.scenario import load_scenario
    from desim.scenario.summary import summarize
    from desim.sim.preflight import baseline_warnings, check_runnable

    failures: list[str] = []
    for path in files:
        try:
            scenario = load_scenario(path)
            resolved = check_runnable(scenario)
        except DesimError as exc:
            failures.append(str(exc))
            continue
        click.echo(f"ok  {path}: {summarize(scenario, resolved)}")
        for message in baseline_warnings(scenario):
            click.echo(f"    warning: {message}")
    if failures:
        raise ScenarioError("\n".join(failures))


@cli.command("parse")
@click.argument("text", required=False)
@click.option("--file", "file_path", type=click.Path(dir_okay=False),
              help="Read descriptions from a file, one per line.")
@click.option("--parser", "parser_name", type=click.Choice(["rules", "gemini", "hybrid"]),
              default="rules", show_default=True, help="Which parser reads the text.")
@click.option("--model", default=None, help="Gemini model (default: $DESIM_GEMINI_MODEL).")
@click.option("--base-url", default=None,
              help="Gemini API base URL (default: $DESIM_GEMINI_BASE_URL).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the parse cache.")
def parse_command(text: str | None, file_path: str | None, parser_name: str, model: str | None,
                  base_url: str | None, no_cache: bool) -> None:
    """Parse prosumer descriptions into configs (JSON with provenance and warnings)."""
    import json
    from pathlib import Path

    from desim.errors import ParseError
    from desim.llm import get_parser

    if (text is None) == (file_path is None):
        raise ParseError("desim parse: expected a description or --file, exactly one of the two")
    if file_path is not None:
        try:
            lines = Path(file_path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ParseError(f"{file_path}: could not read descriptions: {exc}") from exc
        texts = [line.strip() for line in lines if line.strip()]
        if not texts:
            raise ParseError(f"{file_path}: expected one description per line, got none")
    else:
        texts = [text]
        if not text.strip():
            raise ParseError("desim parse: expected a non-empty description, got ''")
    options = {} if parser_name == "rules" else {"model": model, "base_url": base_url,
                                                 "cache": not no_cache}
    if parser_name == "rules" and (model or base_url):
        raise ParseError("desim parse: --model and --base-url apply to --parser gemini or hybrid")
    configs = get_parser(parser_name, **options).parse_many(texts)
    out = [dict(text=t, **c.to_json_dict()) for t, c in zip(texts, configs, strict=True)]
    click.echo(json.dumps(out[0] if text is not None else out, indent=2))


@cli.command("evaluate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--parser", "parser_name", type=click.Choice(["rules", "gemini", "hybrid"]),
              default="rules", show_default=True, help="Which parser reads the texts.")
@click.option("--model", default=None, help="Gemini model (default: $DESIM_GEMINI_MODEL).")
@click.option("--base-url", default=None,
              help="Gemini API base URL (default: $DESIM_GEMINI_BASE_URL).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the parse cache.")
@click.option("--errors", "show_errors", is_flag=True, help="List every wrong field.")
def evaluate_command(files: tuple[str, ...], parser_name: str, model: str | None,
                     base_url: str | None, no_cache: bool, show_errors: bool) -> None:
    """Field accuracy of a parser on labelled JSON Lines files (overall and per field)."""
    from desim.llm import get_parser
    from desim.llm.evaluate import evaluate, format_score, load_labelled

    options = {} if parser_name == "rules" else {"model": model, "base_url": base_url,
                                                 "cache": not no_cache}
    parser = get_parser(parser_name, **options)
    for path in files:
        rows = load_labelled(path)
        score = evaluate(parser, rows)
        click.echo(format_score(score, f"{path} ({parser_name})"))
        if show_errors:
            for i, name, expected, got in score.errors:
                click.echo(f"  row {i}: {name}: expected {expected!r}, got {got!r} | "
                           f"{rows[i]['text'][:100]}")


# -- desim report ------------------------------------------------------------------------
@cli.command("report")
@click.argument("run_dir", type=click.Path())
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None,
              help="HTML file to write (default: RUN_DIR/report.html).")
@click.option("--sweep", "sweep", type=click.Path(), default=None,
              help="Sweep results (results.parquet or its directory): adds the shortfall "
                   "against dispatch depth figure.")
def report_command(run_dir: str, output: str | None, sweep: str | None) -> None:
    """Write a self-contained HTML report (figures and key metrics) of RUN_DIR."""
    from desim.analysis.report import write_report

    click.echo(f"wrote {write_report(run_dir, output, sweep=sweep)}")


# -- desim sweep -------------------------------------------------------------------------
def _sweep_table(table):
    """A rich table of seed means per grid case (a few headline metrics)."""
    from rich.table import Table

    from desim.analysis.sweep import summarize_sweep

    cases = summarize_sweep(table)
    columns = list(table.columns)
    params = columns[columns.index("seed") + 1:columns.index("status")]
    headline = [("ev_met_share", "EVs met", "{:.1%}"),
                ("ev_shortfall_p95_kwh", "p95 short kWh", "{:.2f}"),
                ("ev_missed_feasible", "missed feas.", "{:.1f}"),
                ("peak_import_kw", "peak kW", "{:,.0f}"),
                ("payments_usd", "paid $", "{:,.0f}")]
    headline += [(c, c.removeprefix("event.").removesuffix(".target_share") + " % target",
                  "{:.1%}") for c in columns if c.endswith(".target_share")]
    view = Table(title="Sweep: means over seeds", header_style="bold")
    for p in params:
        view.add_column(p.rpartition(".")[2])
    for name in ["ok/failed"] + [h[1] for h in headline]:
        view.add_column(name, justify="right")
    for _, row in cases.iterrows():
        cells = [_sweep_cell(row[p]) for p in params] + [f"{row['n_ok']}/{row['n_failed']}"]
        cells += [fmt.format(row[c]) if c in row and row[c] == row[c] else "-"
                  for c, _, fmt in headline]
        view.add_row(*cells)
    return view


def _sweep_cell(value) -> str:
    from desim.analysis._sweep_grid import format_value

    return format_value(value.item() if hasattr(value, "item") else value)


@cli.command("sweep")
@click.argument("scenario_file", type=click.Path(dir_okay=False))
@click.option("--set", "sets", multiple=True, metavar="PATH=V1,V2,...",
              help="Sweep a scenario key over values, e.g. market.events[0].target_kw=200,400 "
                   "(repeatable; the grid is the product of all --set).")
@click.option("--seeds", "n_seeds", type=click.IntRange(min=1), default=None,
              help="Run seeds scenario.seed + 0 .. N-1 for every grid case [default: 1].")
@click.option("--seed-list", default=None, metavar="S1,S2,...",
              help="Run exactly these seeds for every grid case.")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Output directory (results.parquet, sweep.json).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Run on a local Dask cluster with N worker processes.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run on an existing Dask cluster (e.g. tcp://10.0.0.5:8786).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary table.")
def sweep_command(scenario_file, sets, n_seeds, seed_list, out_dir, workers, scheduler,
                  overwrite, quiet):
    """Run SCENARIO_FILE over a grid of --set values and seeds; write one results table.

    Exits 0 when at least one point succeeded (failed points are rows with
    status "failed"), 1 when every point failed.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from desim.analysis.outputs import check_output_dir
    from desim.analysis.sweep import parse_set, run_sweep, write_sweep
    from desim.errors import DesimError, ScenarioError

    if n_seeds is not None and seed_list is not None:
        raise DesimError("desim sweep: expected at most one of --seeds and --seed-list")
    if workers is not None and scheduler is not None:
        raise DesimError("desim sweep: expected at most one of --workers and --scheduler")
    grid: dict[str, list] = {}
    for text in sets:
        path, values = parse_set(text)
        if path in grid:
            raise ScenarioError(f"--set {path}: given more than once")
        grid[path] = values
    seeds: int | list = n_seeds or 1
    if seed_list is not None:
        from desim.analysis._sweep_grid import parse_value
        seeds = [parse_value(s.strip()) for s in seed_list.split(",")]
    check_output_dir(out_dir, overwrite, protect=[scenario_file])
    console = Console(stderr=True)
    bar = None if quiet else Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        "{task.fields[failed]} failed", TimeElapsedColumn(), console=console, transient=True)
    state: dict = {}

    def progress(done: int, total: int, failed: int) -> None:
        if bar is None:
            return
        if "task" not in state:
            bar.start()
            state["task"] = bar.add_task("sweep", total=total, failed=0)
        bar.update(state["task"], completed=done, failed=failed)

    try:
        table = run_sweep(scenario_file, grid, seeds=seeds, workers=workers,
                          scheduler=scheduler, progress=progress)
    finally:
        if "task" in state:
            bar.stop()
    write_sweep(table, out_dir, overwrite=overwrite)
    n_failed = int((table["status"] != "ok").sum())
    if not quiet:
        Console().print(_sweep_table(table))
    for row in table[table["status"] != "ok"].head(5).itertuples():
        click.echo(f"point {row.point} (seed {row.seed}) failed: {row.error}", err=True)
    click.echo(f"{len(table)} points, {len(table) - n_failed} ok, {n_failed} failed; "
               f"wrote {out_dir}/")
    if n_failed == len(table):
        sys.exit(1)


@cli.command("bench")
@click.option("--quick", "mode", flag_value="quick",
              help="Small sizes, under a minute (a smoke run).")
@click.option("--full", "mode", flag_value="full",
              help="Everything, with a week per scaling size and the sharded million.")
@click.option("--seed", type=int, default=0, show_default=True, help="Scenario seed.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the report as JSON to this file.")
@click.option("--comparison", "comparison", default=None, metavar="PROSUMERSxDAYS",
              help="Only the comparison with the baselines, at this size (e.g. 100000x3).")
def bench_command(mode: str | None, seed: int, json_path: str | None,
                  comparison: str | None) -> None:
    """Benchmark the engine against the baselines; check the project's figures."""
    import json

    from rich.console import Console

    from desim.bench.engine import run_engine_benchmark
    from desim.bench.report import report_tables
    from desim.fleet.export import _atomic_write

    size = _comparison_size(comparison) if comparison is not None else None
    console = Console(stderr=True)
    report = run_engine_benchmark(mode or "default", seed,
                                  progress=lambda text: console.print(f"[dim]bench:[/dim] {text}"),
                                  comparison=size)
    out = Console(width=max(Console().width, 150))   # the notes column needs room
    for table in report_tables(report):
        out.print(table)
    if json_path:
        def write(tmp: str) -> None:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(report, fh, indent=2, default=float)
        _atomic_write(json_path, write)


def _comparison_size(text: str) -> tuple[int, int]:
    """``PROSUMERSxDAYS`` (``100000x3``, ``100_000 x 3``) as two positive integers."""
    parts = text.replace("_", "").replace(",", "").lower().split("x")
    try:
        n, days = (int(p.strip()) for p in parts)
    except ValueError:
        n = days = 0
    if n < 1 or days < 1:
        raise click.BadParameter(f"got {text!r}; expected PROSUMERSxDAYS with positive "
                                 "integers, e.g. 100000x3", param_hint="--comparison")
    return n, days


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `desim` console command."""
    try:
        cli.main(args=argv, prog_name="desim", standalone_mode=False)
    except DesimError as exc:
        click.echo(f"desim: error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("desim: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
