"""Resolve a scenario's fleet section into one `FleetTable`.

A generated fleet (`fleet.generate`), explicit prosumers given by numbers or
catalog product names, and prosumers given as text descriptions (resolved by
a parser first; numbers written in the file win over parsed ones) all become
rows of one table, in that order.
"""

from __future__ import annotations

import attrs
import numpy as np

from desim.errors import CatalogError, ParameterError, ScenarioError
from desim.fleet.table import EV_PRIORITY_NAMES, PROFILE_NAMES, FleetTable, first_duplicate

__all__ = ["build_fleet", "explicit_table", "PROFILE_DEFAULTS", "resolve_descriptions",
           "read_fleet_file", "build_hvac",
           "build_water_heaters"]

# Preferences a profile word implies when the file leaves a value out
# (assumption; the same central values the California preset draws around):
# (participation_willingness, min_compensation_per_kwh, backup_power_hours,
#  max_discharge_percent, ev_priority)
PROFILE_DEFAULTS = {
    "conservative": (0.3, 0.20, 6.0, 50.0, "high"),
    "moderate": (0.6, 0.10, 3.0, 70.0, "medium"),
    "aggressive": (0.9, 0.05, 1.0, 90.0, "low"),
}
DEFAULT_ANNUAL_LOAD_KWH = 6200.0
DEFAULT_KWH_PER_MILE = 0.30  # assumption for vehicles without a catalog figure
EV_V2G_MIN_SOC = 0.2


def _empty_table() -> FleetTable:
    cols = {f.name: np.zeros(0) for f in attrs.fields(FleetTable)}
    for name in ("prosumer_id", "bess_product", "ev_id", "ev_product"):
        cols[name] = np.zeros(0, dtype=object)
    return FleetTable(**cols)


def _bess_figures(spec, where: str, problems: list[str]):
    capacity, power = spec.capacity_kwh, spec.max_power_kw
    if spec.product is not None:
        from desim.catalog import lookup_battery
        try:
            product = lookup_battery(spec.product)
        except CatalogError as exc:
            problems.append(f"{where}.product: {exc}")
            return None
        capacity = capacity if capacity is not None else product.capacity_kwh
        power = power if power is not None else product.max_power_kw
    for name, value in (("capacity_kwh", capacity), ("max_power_kw", power)):
        if value is None:
            problems.append(f"{where}.{name}: expected a number (the catalog has no sourced "
                            f"figure for {spec.product!r}), got nothing")
    if spec.min_soc_percent >= spec.max_soc_percent:
        problems.append(f"{where}.min_soc_percent: expected below max_soc_percent "
                        f"({spec.max_soc_percent}), got {spec.min_soc_percent}")
    return capacity, power


def _ev_figures(spec, where: str, problems: list[str]):
    capacity, power, per_mile = spec.capacity_kwh, spec.max_charge_power_kw, spec.kwh_per_mile
    if spec.product is not None:
        from desim.catalog import lookup_vehicle
        try:
            product = lookup_vehicle(spec.product)
        except CatalogError as exc:
            problems.append(f"{where}.product: {exc}")
            return None
        capacity = capacity if capacity is not None else product.battery_capacity_kwh
        power = power if power is not None else product.max_charge_power_kw
        per_mile = per_mile if per_mile is not None else product.kwh_per_mile
    for name, value in (("capacity_kwh", capacity), ("max_charge_power_kw", power)):
        if value is None:
            problems.append(f"{where}.{name}: expected a number (the catalog has no sourced "
                            f"figure for {spec.product!r}), got nothing")
    return capacity, power, per_mile if per_mile is not None else DEFAULT_KWH_PER_MILE


def explicit_table(prosumers, source: str = "<scenario>", start_index: int = 0) -> FleetTable:
    """Rows for explicit prosumer specs (numbers or catalog names)."""
    from desim.units import parse_hhmm

    problems: list[str] = []
    p_cols = {k: [] for k in ("prosumer_id", "annual_load_kwh", "participation_willingness",
                              "min_compensation_per_kwh", "backup_power_hours", "max_discharge",
                              "ev_priority", "profile")}
    b_rows, e_rows, v_rows = [], [], []
    for i, spec in enumerate(prosumers):
        where = f"fleet.prosumers[{start_index + i}]"
        prefs = spec.preferences
        d = PROFILE_DEFAULTS[prefs.profile]

        def pick(value, default):
            return default if value is None else value

        p_cols["prosumer_id"].append(spec.id)
        p_cols["annual_load_kwh"].append(pick(spec.annual_load_kwh, DEFAULT_ANNUAL_LOAD_KWH))
        p_cols["participation_willingness"].append(pick(prefs.participation_willingness, d[0]))
        p_cols["min_compensation_per_kwh"].append(pick(prefs.min_compensation_per_kwh, d[1]))
        p_cols["backup_power_hours"].append(pick(prefs.backup_power_hours, d[2]))
        p_cols["max_discharge"].append(pick(prefs.max_discharge_percent, d[3]) / 100.0)
        p_cols["ev_priority"].append(EV_PRIORITY_NAMES.index(pick(prefs.ev_priority, d[4])))
        p_cols["profile"].append(PROFILE_NAMES.index(prefs.profile))
        if spec.bess is not None:
            figures = _bess_figures(spec.bess, f"{where}.bess", problems)
            if figures is not None:
                b = spec.bess
                b_rows.append((i, *figures, b.efficiency, b.initial_soc_percent / 100,
                               b.min_soc_percent / 100, b.max_soc_percent / 100,
                               b.product or "custom"))
        if spec.solar is not None:
            s = spec.solar
            v_rows.append((i, s.capacity_kw, s.tilt_deg, s.azimuth_deg))
        for j, ev in enumerate(spec.evs):
            figures = _ev_figures(ev, f"{where}.evs[{j}]", problems)
            if figures is None:
                continue
            e_rows.append((i, f"{spec.id}-ev{j + 1}", *figures, ev.initial_soc_percent / 100,
                           ev.departure_soc_percent / 100, parse_hhmm(ev.departure),
                           parse_hhmm(ev.arrival), ev.daily_miles,
                           getattr(ev, "v2g_max_kw", 0.0) or 0.0, ev.product or "custom"))
    if problems:
        raise ScenarioError(f"{source}: " + ("\n  ".join(problems) if len(problems) == 1 else
                                             f"{len(problems)} problems:\n  "
                                             + "\n  ".join(problems)))
    base = start_index

    def col(rows, k, dtype=float):
        return np.array([r[k] for r in rows], dtype=dtype) if rows else np.zeros(0, dtype=dtype)

    nb, ne, nv = len(b_rows), len(e_rows), len(v_rows)
    try:
        return FleetTable(
            **{k: np.array(v, dtype=object if k == "prosumer_id" else float)
               for k, v in p_cols.items()},
            bess_prosumer_index=col(b_rows, 0, int), bess_capacity_kwh=col(b_rows, 1),
            bess_max_charge_kw=col(b_rows, 2), bess_max_discharge_kw=col(b_rows, 2),
            bess_charge_efficiency=col(b_rows, 3), bess_discharge_efficiency=col(b_rows, 3),
            bess_soc=col(b_rows, 4), bess_min_soc=col(b_rows, 5), bess_max_soc=col(b_rows, 6),
            bess_self_discharge_per_h=np.zeros(nb), bess_product=col(b_rows, 7, object),
            ev_prosumer_index=col(e_rows, 0, int), ev_id=col(e_rows, 1, object),
            ev_capacity_kwh=col(e_rows, 2), ev_max_charge_kw=col(e_rows, 3),
            ev_charge_efficiency=np.full(ne, 0.92), ev_soc=col(e_rows, 5),
            ev_departure_soc=col(e_rows, 6), ev_departure_hour=col(e_rows, 7),
            ev_arrival_hour=col(e_rows, 8), ev_daily_miles=col(e_rows, 9),
            ev_kwh_per_mile=col(e_rows, 4), ev_v2g_max_kw=col(e_rows, 10),
            ev_v2g_min_soc=np.full(ne, EV_V2G_MIN_SOC), ev_product=col(e_rows, 11, object),
            pv_prosumer_index=col(v_rows, 0, int), pv_capacity_kw=col(v_rows, 1),
            pv_tilt_deg=col(v_rows, 2), pv_azimuth_deg=col(v_rows, 3),
            pv_system_efficiency=np.full(nv, 0.86),
        ) if base >= 0 else None
    except ParameterError as exc:  # pragma: no cover - specs are validated on load
        raise ScenarioError(f"{source}: {exc}") from exc


def resolve_descriptions(prosumers, parser=None, parser_name: str = "rules"):
    """Replace each prosumer's `description` by the specs a parser reads from it.

    Numbers written in the file win over parsed ones. Returns (specs, configs)
    where configs maps prosumer id to the parsed config (for writing beside the
    run's outputs).
    """
    from desim.llm import get_parser
    from desim.scenario.describe import spec_from_config

    todo = [p for p in prosumers if p.description]
    if not todo:
        return list(prosumers), {}
    parser = get_parser(parser_name) if parser is None else parser
    configs = dict(zip((p.id for p in todo), parser.parse_many([p.description for p in todo]),
                       strict=True))
    specs = [spec_from_config(p, configs[p.id]) if p.description else p for p in prosumers]
    return specs, configs


def build_fleet(scenario, seed, parser=None, resolved: dict | None = None) -> FleetTable:
    """The scenario's whole fleet as one table (generated rows first)."""
    parts = []
    gen = scenario.fleet.generate
    if gen is not None:
        from desim.fleet import FleetConfig, generate_fleet_table
        try:
            config = FleetConfig.from_dict(dict(gen.overrides), path="fleet.generate.overrides",
                                           base=gen.adoption)
        except (ScenarioError, ParameterError) as exc:
            raise ScenarioError(f"{scenario.source}: {exc}") from exc
        parts.append(generate_fleet_table(gen.n, seed, config))
    file = getattr(scenario.fleet, "file", None)
    if file is not None:
        parts.append(read_fleet_file(scenario, file))
    if scenario.fleet.prosumers:
        specs, configs = resolve_descriptions(scenario.fleet.prosumers, parser,
                                              getattr(scenario.fleet, "parser", "rules"))
        if resolved is not None:
            resolved.update(configs)
        parts.append(explicit_table(specs, scenario.source))
    if not parts:
        return _empty_table()
    table = parts[0] if len(parts) == 1 else FleetTable.concat(parts)
    # the log names rows by these ids: a generated, an explicit and a file's prosumer (or
    # EV) with one id would otherwise run, and a sharded run would write both rows
    for column in ("prosumer_id", "ev_id"):
        dup = first_duplicate(getattr(table, column))
        if dup is not None:
            where = "fleet.file: " if file is not None else ""
            raise ScenarioError(f"{scenario.source}: {where}fleet.{column}: expected ids not "
                                f"used elsewhere in the fleet, got {dup!r} twice")
    return table


def read_fleet_file(scenario, file: str) -> FleetTable:
    """The fleet in `file` (written by `desim fleet`), as a `ScenarioError` if it is not one."""
    from desim.errors import DesimError
    from desim.fleet import load_fleet

    path = scenario.resolve_path(file)
    try:
        return load_fleet(path)
    except DesimError as exc:
        raise ScenarioError(f"{scenario.source}: fleet.file: {exc}") from exc
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ScenarioError(f"{scenario.source}: fleet.file: expected a fleet written by "
                            f"desim fleet, got {file!r} ({type(exc).__name__}: {exc})") from exc


def build_hvac(scenario, fleet: FleetTable, seed=None):
    """The thermal units of the fleet (`desim.sim.thermal.HvacTable`), or None.

    Generated homes (the first rows of `fleet`, see `build_fleet`) get units drawn
    with `[fleet.generate] hvac` (`desim.fleet.thermal`, stream `seed`); explicit
    prosumers (the last rows, in file order) the units they give.
    """
    from desim.sim.thermal import HvacTable

    parts = []
    gen = scenario.fleet.generate
    if gen is not None and gen.hvac is not None:
        from desim.fleet.thermal import generate_hvac_columns
        parts.append(HvacTable(**generate_hvac_columns(gen.n, seed, gen.hvac)))
    explicit = _explicit_hvac(scenario, fleet)
    if explicit is not None:
        parts.append(explicit)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else HvacTable.concat(parts, [0] * len(parts))


def _explicit_hvac(scenario, fleet: FleetTable):
    from desim.scenario.schema import HVAC_KINDS
    from desim.sim.thermal import HvacTable

    specs = scenario.fleet.prosumers
    base = fleet.n_prosumers - len(specs)
    rows = [(base + i, p.hvac) for i, p in enumerate(specs) if p.hvac is not None]
    if not rows:
        return None
    return HvacTable(
        prosumer_index=[i for i, _ in rows],
        kind=[HVAC_KINDS.index(h.kind) for _, h in rows],
        resistance_c_per_kw=[h.thermal_resistance_c_per_kw for _, h in rows],
        capacitance_kwh_per_c=[h.thermal_capacitance_kwh_per_c for _, h in rows],
        rated_power_kw=[h.rated_power_kw for _, h in rows],
        cop=[h.cop for _, h in rows],
        setpoint_c=[h.setpoint_c for _, h in rows],
        deadband_c=[h.deadband_c for _, h in rows],
        initial_temperature_c=[h.setpoint_c if h.initial_temperature_c is None
                               else h.initial_temperature_c for _, h in rows],
        comfort_offset_c=[specs[i - base].preferences.comfort_offset_c or 0.0 for i, _ in rows],
        comfort_max_h=[np.inf if specs[i - base].preferences.comfort_max_h is None
                       else specs[i - base].preferences.comfort_max_h for i, _ in rows])


def build_water_heaters(scenario, fleet: FleetTable, seed=None):
    """The fleet's water heaters and their mean daily draws (litres): drawn for the
    generated homes with ``[fleet.generate] water_heaters`` (stream `seed`), then the
    explicit prosumers'.

    Returns ``(desim.sim.waterheater.WaterHeaterTable, daily_draw_l)``; a ``cop``
    not given is 1 for a resistance element, 3 for a heat pump (docs/thermal.md).
    """
    from desim.assets.physics.thermal import WATER_KWH_PER_L_C
    from desim.scenario.schema import WATER_HEATER_KINDS
    from desim.sim.waterheater import WaterHeaterTable

    specs = scenario.fleet.prosumers
    base = fleet.n_prosumers - len(specs)
    rows = [(base + i, p.water_heater) for i, p in enumerate(specs)
            if p.water_heater is not None]
    default_cop = {"resistance": 1.0, "heat_pump": 3.0}
    gen = scenario.fleet.generate
    generated = None
    if gen is not None and getattr(gen, "water_heaters", None) is not None:
        from desim.fleet.thermal import generate_water_heater_columns
        generated = generate_water_heater_columns(gen.n, seed, gen.water_heaters)
    table = WaterHeaterTable(
        prosumer_index=[i for i, _ in rows],
        kind=[WATER_HEATER_KINDS.index(w.kind) for _, w in rows],
        capacitance_kwh_per_c=[WATER_KWH_PER_L_C * w.volume_l for _, w in rows],
        ua_kw_per_c=[w.standby_loss_kw_per_c for _, w in rows],
        element_kw=[w.element_kw for _, w in rows],
        cop=[default_cop[w.kind] if w.cop is None else w.cop for _, w in rows],
        setpoint_c=[w.setpoint_c for _, w in rows],
        deadband_c=[w.deadband_c for _, w in rows],
        initial_temperature_c=[w.setpoint_c if w.initial_temperature_c is None
                               else w.initial_temperature_c for _, w in rows],
        inlet_c=[w.inlet_temperature_c for _, w in rows],
        ambient_c=[w.ambient_temperature_c for _, w in rows])
    daily = np.array([w.daily_draw_l for _, w in rows], dtype=float)
    if generated is None:
        return table, daily
    # generated homes are the fleet's first rows, explicit ones its last
    cols = {a.name: np.concatenate([generated[a.name], getattr(table, a.name)])
            for a in WaterHeaterTable.__attrs_attrs__}
    return WaterHeaterTable(**cols), np.concatenate([generated["daily_draw_l"], daily])
