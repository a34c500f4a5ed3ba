"""`desim fleet`: prints statistics, writes the export, reports errors plainly."""

import pytest
from click.testing import CliRunner

from desim.cli import cli, main
from desim.fleet import generate_fleet_table, load_fleet


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_fleet_command_writes_the_generated_fleet(tmp_path, fmt):
    out = tmp_path / f"fleet.{fmt}"
    result = CliRunner().invoke(cli, ["fleet", "--n", "300", "--seed", "4", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "households with bess" in result.output
    assert load_fleet(out).equals(generate_fleet_table(300, 4))


def test_format_option_overrides_the_suffix(tmp_path):
    out = tmp_path / "fleet.data"
    result = CliRunner().invoke(cli, ["fleet", "--n", "20", "-o", str(out),
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    assert load_fleet(out, "json").n_prosumers == 20


def test_overrides_file_changes_the_rates(tmp_path):
    over = tmp_path / "over.toml"
    over.write_text("[adoption]\nbess = 0.0\nsolar_given_bess = 0.0\n")
    out = tmp_path / "f.parquet"
    result = CliRunner().invoke(cli, ["fleet", "--n", "200", "-o", str(out),
                                      "--overrides", str(over)])
    assert result.exit_code == 0, result.output
    assert load_fleet(out).n_bess == 0


def test_bad_override_exits_2_naming_file_key_and_value(tmp_path, capsys):
    over = tmp_path / "over.toml"
    over.write_text("[adoption]\nev = 3\n")
    with pytest.raises(SystemExit) as info:
        main(["fleet", "--n", "5", "-o", str(tmp_path / "f.csv"), "--overrides", str(over)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "over.toml" in err and "adoption.ev" in err and "3" in err
