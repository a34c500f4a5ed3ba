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
