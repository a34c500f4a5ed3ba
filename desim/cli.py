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

    failures: list[str] = []
    for path in files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            failures.append(str(exc))
            continue
        click.echo(f"ok  {path}: {summarize(scenario)}")
    if failures:
        raise ScenarioError("\n".join(failures))


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
