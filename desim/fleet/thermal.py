"""Air conditioners and heat pumps for generated fleets (columns of a thermal-unit table).

Each generated home gets at most one unit: a central air conditioner (``ac``), a heat
pump (``heat_pump``) or none, drawn with the adoption shares below, and a building
class that sets its 1R1C envelope. The unit is sized from the envelope so that it can
hold its setpoint at the design temperature difference. Every figure here is an
assumption, labelled with what shaped it; a study of a particular stock should give
its homes explicitly (``[fleet.prosumers.hvac]``) or override these.

- Adoption, ``california``: central air conditioning in about half of California
  homes and heat pumps in under a tenth (rounded from the California Energy
  Commission's 2019 Residential Appliance Saturation Study, statewide; inland climate
  zones such as Sacramento's are well above the statewide share).
- Building classes (small / medium / large, shares 0.3 / 0.5 / 0.2): envelope
  conductance ``UA`` 0.20 / 0.30 / 0.45 kW/C (``R = 1 / UA``) and capacitance 2.5 / 4
  / 6 kWh/C, each scaled by a lognormal factor (sigma 0.2): the range of the
  single-family prototypes of DOE's residential building energy models, lumped into
  one node. Solar and internal gains are not modelled, so the envelope alone sets the
  load.
- Sizing: thermal capacity ``1.5 x UA x 16 C`` (a 16 C design difference, e.g. 40 C
  outdoors against 24 C indoors, with the usual oversizing); COP uniform 3.0-4.0
  (SEER 13-18 class equipment at rating conditions).
- Setpoint: normal, mean 24.5 C (76 F) and sd 1 C, within 21-28 C; deadband 1 C; the
  home starts at its setpoint.
- Comfort preference (how far the aggregator may move the thermostat in an event): 0 C
  (never), 1 C or 2 C with shares 0.3 / 0.4 / 0.3, for at most 2, 3 or 4 h (equal
  shares): the range of utility smart-thermostat programs, which move setpoints by 2-4 F
  for events of a few hours.
"""

from __future__ import annotations

import numpy as np

__all__ = ["HVAC_ADOPTIONS", "generate_hvac_columns", "KINDS", "WATER_HEATER_ADOPTIONS",
           "generate_water_heater_columns"]

KINDS = ("ac", "heat_pump")
#: Adoption shares per preset: (air conditioner, heat pump); the rest have neither.
HVAC_ADOPTIONS = {"california": (0.50, 0.08)}

_CLASS_SHARE = np.array([0.3, 0.5, 0.2])
_UA_KW_PER_C = np.array([0.20, 0.30, 0.45])
_C_KWH_PER_C = np.array([2.5, 4.0, 6.0])
_SIGMA = 0.2
_DESIGN_DIFF_C = 16.0
_OVERSIZE = 1.5


#: Electric water heaters per preset: (resistance tank, heat-pump water heater) shares.
#: Assumption: gas heats most California homes' water; electric tanks in about one home
#: in ten and heat-pump water heaters in a few per cent (rounded from the CEC 2019 RASS
#: statewide water-heating fuel shares).
WATER_HEATER_ADOPTIONS = {"california": (0.10, 0.02)}


def generate_water_heater_columns(n_homes: int, seed, adoption: str = "california") -> dict:
    """Electric water heaters for `n_homes` generated homes (at most one each).

    Tanks of 150 / 190 / 250 L (shares 0.3 / 0.5 / 0.2), setpoint normal around 52 C
    (sd 3 C, within 45-60 C), deadband 5 C, standby loss 0.002-0.003 kW/C; a resistance
    element of 4.5 kW, or a heat pump of 0.5 kW electric at a COP of 3; mean daily draw
    lognormal around 200 L (sigma 0.3: the DOE test procedure's medium draw pattern is
    55 gal, 208 L, a day). All assumptions, as labelled in docs/thermal.md.

    Returns
    -------
    dict of str -> numpy.ndarray
        The columns of `desim.sim.waterheater.WaterHeaterTable` (``kind`` 0 resistance,
        1 heat pump; ``capacitance_kwh_per_c`` from the volume) and ``daily_draw_l``.
    """
    from desim.assets.physics.thermal import WATER_KWH_PER_L_C

    if adoption not in WATER_HEATER_ADOPTIONS:
        raise ValueError(f"water heater adoption: expected one of "
                         f"{', '.join(WATER_HEATER_ADOPTIONS)}, got {adoption!r}")
    rng = np.random.default_rng(seed)
    res, hp = WATER_HEATER_ADOPTIONS[adoption]
    u = rng.random(n_homes)
    home = np.flatnonzero(u < res + hp)
    kind = (u[home] >= res).astype(np.int64)
    m = len(home)
    volume = rng.choice(np.array([150.0, 190.0, 250.0]), size=m, p=[0.3, 0.5, 0.2])
    setpoint = np.clip(rng.normal(52.0, 3.0, m), 45.0, 60.0)
    return {"prosumer_index": home, "kind": kind,
            "capacitance_kwh_per_c": WATER_KWH_PER_L_C * volume,
            "ua_kw_per_c": rng.uniform(0.002, 0.003, m),
            "element_kw": np.where(kind == 1, 0.5, 4.5),
            "cop": np.where(kind == 1, 3.0, 1.0),
            "setpoint_c": setpoint, "deadband_c": np.full(m, 5.0),
            "initial_temperature_c": setpoint.copy(), "inlet_c": np.full(m, 15.0),
            "ambient_c": np.full(m, 20.0),
            "daily_draw_l": 200.0 * rng.lognormal(-0.045, 0.3, m)}


def generate_hvac_columns(n_homes: int, seed, adoption: str = "california") -> dict:
    """Thermal units for `n_homes` generated homes (at most one each).

    Parameters
    ----------
    n_homes : int
        Homes 0 .. n_homes - 1.
    seed : int or numpy.random.SeedSequence
        The stream of this draw.
    adoption : str
        A key of `HVAC_ADOPTIONS`.

    Returns
    -------
    dict of str -> numpy.ndarray
        Columns ``prosumer_index``, ``kind`` (index into `KINDS`),
        ``resistance_c_per_kw``, ``capacitance_kwh_per_c``, ``rated_power_kw``,
        ``cop``, ``setpoint_c``, ``deadband_c``, ``initial_temperature_c``,
        ``comfort_offset_c``, ``comfort_max_h`` (the fields of
        `desim.sim.thermal.HvacTable`).
    """
    if adoption not in HVAC_ADOPTIONS:
        raise ValueError(f"hvac adoption: expected one of {', '.join(HVAC_ADOPTIONS)}, "
                         f"got {adoption!r}")
    rng = np.random.default_rng(seed)
    ac, hp = HVAC_ADOPTIONS[adoption]
    u = rng.random(n_homes)
    has = u < ac + hp
    home = np.flatnonzero(has)
    kind = (u[home] >= ac).astype(np.int64)           # 0: ac, 1: heat pump
    m = len(home)
    cls = rng.choice(3, size=m, p=_CLASS_SHARE)
    ua = _UA_KW_PER_C[cls] * rng.lognormal(0.0, _SIGMA, m)
    cap = _C_KWH_PER_C[cls] * rng.lognormal(0.0, _SIGMA, m)
    cop = rng.uniform(3.0, 4.0, m)
    power = _OVERSIZE * ua * _DESIGN_DIFF_C / cop
    setpoint = np.clip(rng.normal(24.5, 1.0, m), 21.0, 28.0)
    offset = rng.choice(np.array([0.0, 1.0, 2.0]), size=m, p=[0.3, 0.4, 0.3])
    max_h = rng.choice(np.array([2.0, 3.0, 4.0]), size=m)
    return {"prosumer_index": home, "kind": kind, "resistance_c_per_kw": 1.0 / ua,
            "capacitance_kwh_per_c": cap, "rated_power_kw": power, "cop": cop,
            "setpoint_c": setpoint, "deadband_c": np.full(m, 1.0),
            "initial_temperature_c": setpoint.copy(), "comfort_offset_c": offset,
            "comfort_max_h": max_h}
