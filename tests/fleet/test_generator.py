"""FleetGenerator: the seed API over the table functions."""

import pytest

from desim.assets import Prosumer
from desim.errors import DesimWarning
from desim.fleet import FleetGenerator, generate_fleet_table, load_fleet


def test_create_prosumer_fleet_gives_prosumer_objects_from_the_seeded_table():
    fleet = FleetGenerator().create_prosumer_fleet(n=50, random_seed=123)
    assert len(fleet) == 50 and all(isinstance(p, Prosumer) for p in fleet)
    assert fleet.table.equals(generate_fleet_table(50, 123))


def test_statistics_work_on_objects_and_tables_alike():
    gen = FleetGenerator()
    fleet = gen.create_prosumer_fleet(200, 1)
    from_objects = gen.get_fleet_statistics(fleet)
    from_table = gen.get_fleet_statistics(fleet.table)
    assert from_objects == from_table
    assert from_objects["asset_percentages"]["bess"] == pytest.approx(
        100 * sum(p.bess is not None for p in fleet) / 200)
    assert from_objects["total_capacities"]["bess_kwh"] == pytest.approx(
        sum(p.bess.capacity_kwh for p in fleet if p.bess))


def test_seed_aliases_generate_and_export(tmp_path):
    gen = FleetGenerator()
    fleet = gen.generate_fleet(n_prosumers=20, random_seed=3)
    path = gen.export_fleet_csv(fleet, tmp_path / "fleet_summary.csv")
    assert load_fleet(path).equals(fleet.table)
    json_path = gen.export_fleet_summary(fleet, tmp_path / "prosumer_configs.json")
    assert load_fleet(json_path).equals(fleet.table)


def test_data_path_is_recorded_and_names_load_profiles(tmp_path):
    (tmp_path / "load_profiles").mkdir()
    for name in ("house_b.csv", "house_a.csv"):
        (tmp_path / "load_profiles" / name).write_text("kw\n1.0\n")
    gen = FleetGenerator(data_path=tmp_path)
    fleet = gen.create_prosumer_fleet(3, 0)
    assert gen.data_path == tmp_path
    assert [p.load_profile_id for p in fleet] == ["house_a", "house_b", "house_a"]


def test_missing_data_path_only_warns(tmp_path):
    with pytest.warns(DesimWarning, match="does not exist"):
        gen = FleetGenerator(data_path=tmp_path / "nowhere")
    assert len(gen.create_prosumer_fleet(2, 0)) == 2
