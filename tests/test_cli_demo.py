"""`desim demo`: a catalog prosumer's flexibility and market evaluation."""

from click.testing import CliRunner

from desim.cli import cli


def test_demo_prints_assets_flexibility_and_evaluation():
    result = CliRunner(env={"COLUMNS": "160"}).invoke(cli, ["demo", "--price-per-mwh", "300", "--duration-h", "2"])
    assert result.exit_code == 0, result.output
    for text in ("Tesla Powerwall 2", "Tesla Model 3 Long Range", "8 kWp", "discharge",
                 "participation_score", "300 $/MWh"):
        assert text in result.output


def test_demo_declines_a_price_below_minimum_compensation():
    result = CliRunner(env={"COLUMNS": "160"}).invoke(cli, ["demo", "--price-per-mwh", "20"])
    assert result.exit_code == 0, result.output
    assert "minimum compensation" in result.output
