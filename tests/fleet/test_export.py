"""Fleet exports load back into an equal FleetTable, floats exact."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desim.errors import OutputError, ParameterError
from desim.fleet import (
    FleetTable,
    export_fleet,
    fleet_from_frame,
    fleet_to_frame,
    generate_fleet_table,
    load_fleet,
)

FORMATS = ["csv", "json", "parquet"]


@pytest.fixture(scope="module")
def table():
    return generate_fleet_table(3000, 11)


def _awkward() -> FleetTable:
    """Two prosumers, the second with two batteries and a float32-hostile value."""
    t = generate_fleet_table(2, 0)
    cols = {f.name: getattr(t, f.name) for f in t.__attrs_attrs__}
    cols["participation_willingness"] = np.array([1 / 3, 0.1], dtype=np.float32)
    cols["annual_load_kwh"] = np.array([0.1 + 0.2, 1e-300])
    bess = {"bess_prosumer_index": [1, 1], "bess_capacity_kwh": [13.5, 2 / 3],
            "bess_max_charge_kw": [5.0, 5.0], "bess_max_discharge_kw": [5.0, 4.9],
            "bess_charge_efficiency": [0.95, 0.95], "bess_discharge_efficiency": [0.95, 0.9],
            "bess_soc": [0.5, 0.123456789012345], "bess_min_soc": [0.1, 0.1],
            "bess_max_soc": [0.95, 0.95], "bess_self_discharge_per_h": [0.0, 4e-5],
            "bess_product": ["Tesla Powerwall 2", ""]}
    cols.update(bess)
    return FleetTable(**cols)


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_then_load_gives_an_equal_fleet(table, tmp_path, fmt):
    path = export_fleet(table, tmp_path / f"fleet.{fmt}")
    assert load_fleet(path).equals(table)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_is_exact_for_awkward_floats_and_two_batteries(tmp_path, fmt):
    t = _awkward()
    back = load_fleet(export_fleet(t, tmp_path / f"x.{fmt}"))
    assert back.equals(t)
    assert back.bess_product.tolist() == ["Tesla Powerwall 2", ""]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_fleet_round_trips(tmp_path, fmt):
    t = generate_fleet_table(0, 0)
    assert load_fleet(export_fleet(t, tmp_path / f"e.{fmt}")).equals(t)


@settings(max_examples=15)
@given(n=st.integers(1, 60), seed=st.integers(0, 10_000), fmt=st.sampled_from(FORMATS))
def test_any_generated_fleet_round_trips(tmp_path_factory, n, seed, fmt):
    t = generate_fleet_table(n, seed)
    path = tmp_path_factory.mktemp("rt") / f"f.{fmt}"
    assert load_fleet(export_fleet(t, path)).equals(t)


def test_csv_has_one_row_per_prosumer_with_names_for_profiles(table, tmp_path):
    path = export_fleet(table, tmp_path / "fleet_summary.csv")
    frame = pd.read_csv(path)
    assert len(frame) == table.n_prosumers
    assert set(frame["profile"]) <= {"conservative", "moderate", "aggressive"}
    assert frame["n_evs"].sum() == table.n_evs
    assert "ev2_capacity_kwh" in frame.columns and "bess_capacity_kwh" in frame.columns


def test_json_holds_one_record_per_prosumer_with_its_assets(table, tmp_path):
    path = export_fleet(table, tmp_path / "prosumer_configs.json")
    doc = json.loads(path.read_text())
    assert doc["format"] == "desim.fleet" and len(doc["prosumers"]) == table.n_prosumers
    assert sum(len(p["evs"]) for p in doc["prosumers"]) == table.n_evs
    first_ev = next(p for p in doc["prosumers"] if p["evs"])["evs"][0]
    assert {"capacity_kwh", "departure_hour", "product", "id"} <= set(first_ev)


def test_frame_conversion_is_invertible(table):
    assert fleet_from_frame(fleet_to_frame(table)).equals(table)


def test_writes_leave_no_temporary_file_and_replace_the_target(table, tmp_path):
    target = tmp_path / "out" / "f.json"
    export_fleet(table, target)
    export_fleet(generate_fleet_table(5, 1), target)
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]
    assert load_fleet(target).n_prosumers == 5


def test_writing_onto_a_directory_is_an_output_error(table, tmp_path):
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(OutputError, match="d.csv"):
        export_fleet(table, tmp_path / "d.csv")


def test_unknown_format_is_named(table, tmp_path):
    with pytest.raises(OutputError, match="'xlsx'"):
        export_fleet(table, tmp_path / "f.xlsx")
    with pytest.raises(OutputError, match="'yaml'"):
        export_fleet(table, tmp_path / "f.csv", fmt="yaml")


def test_loading_a_foreign_json_names_the_file(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(ParameterError, match="other.json"):
        load_fleet(path)


def test_loading_a_missing_file_names_it(tmp_path):
    with pytest.raises(ParameterError, match="nope.csv"):
        load_fleet(tmp_path / "nope.csv")


def test_unknown_profile_name_in_a_csv_is_reported(table, tmp_path):
    path = export_fleet(table, tmp_path / "f.csv")
    text = path.read_text().replace(",moderate,", ",reckless,", 1)
    path.write_text(text)
    with pytest.raises(ParameterError, match="reckless"):
        load_fleet(path)
