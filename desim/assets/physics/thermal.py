"""Closed forms of a 1R1C thermal node with an on/off heat pump, written once.

The home is one thermal node (indoor air and the mass coupled to it):

    C dT/dt = (T_out - T) / R + m * s * cop * P

with `T` the indoor temperature (C), `T_out` the outdoor temperature (C), `R`
the envelope's thermal resistance (C/kW), `C` its thermal capacitance (kWh/C),
`P` the unit's rated electric power (kW), `cop` its coefficient of
performance, `s` the compressor state (0 or 1) and `m` the mode: -1 cooling, +1
heating. This is the equivalent-thermal-parameter model of the DOE/PNNL
GridLAB-D residential module reduced to one node, the model OCHRE and CityLearn
use in their simplest form (Sonderegger, "Dynamic models of house heating based
on equivalent thermal parameters", 1978).

With `T_out`, `s` and `m` constant over a stretch, the solution is an
exponential towards the equilibrium ``T_eq = T_out + m s cop P R`` with time
constant ``tau = R C`` (hours), and a thermostat edge is reached at a time found
in closed form. A storage water heater's tank is the same node
(`mixed_environment_c`, `mixed_resistance_c_per_kw`). Functions take and return plain floats and are compiled by
numba like `desim.assets.physics.scalar`; the fleet kernel (`desim.sim.thermal`)
and the seed API (`desim.assets.hvac`) call them, with no other copy.
"""

from __future__ import annotations

import math

import numba

__all__ = ["COOL", "HEAT", "equilibrium_temperature_c", "temperature_after_c",
           "temperature_from_decay_c",
           "time_to_temperature_h", "heat_removed_kwh", "degree_hours_beyond", "comfort_edge_c",
           "switch_edge_c", "past_edge", "WATER_KWH_PER_L_C", "mixed_environment_c",
           "mixed_resistance_c_per_kw"]

#: Mode of a unit: cooling pumps heat out of the home, heating into it.
COOL = -1.0
HEAT = 1.0

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")

#: Heat capacity of a litre of water, kWh/C: 4.186 kJ/(kg C) (specific heat of
#: liquid water near 20-60 C) at 1 kg/L, over 3600 kJ/kWh. A tank's capacitance is
#: ``volume_l`` times this; a draw of ``litres`` over ``h`` hours carries heat at
#: ``litres / h`` times this, kW per C of rise over the inlet.
WATER_KWH_PER_L_C = 4.186 / 3600.0


@_jit
def equilibrium_temperature_c(outdoor_c, mode, on, cop, power_kw, resistance_c_per_kw):
    """The indoor temperature the node tends to with the compressor held.

    Parameters
    ----------
    outdoor_c : float
        Outdoor temperature, C.
    mode : float
        `COOL` (-1) or `HEAT` (+1).
    on : float
        Compressor state, 1.0 on or 0.0 off.
    cop : float
        Coefficient of performance (thermal kW per electric kW), > 0.
    power_kw : float
        Rated electric power, kW.
    resistance_c_per_kw : float
        Envelope thermal resistance R, C/kW.

    Returns
    -------
    float
        ``outdoor_c + mode * on * cop * power_kw * R``, C.
    """
    return outdoor_c + mode * on * cop * power_kw * resistance_c_per_kw


@_jit
def temperature_after_c(temperature_c, equilibrium_c, duration_h, tau_h):
    """Indoor temperature after `duration_h` at a constant equilibrium.

    Parameters
    ----------
    temperature_c : float
        Indoor temperature at the start, C.
    equilibrium_c : float
        `equilibrium_temperature_c` over the stretch, C.
    duration_h : float
        Hours, >= 0.
    tau_h : float
        Time constant ``R C``, hours, > 0.

    Returns
    -------
    float
        ``T_eq + (T - T_eq) exp(-duration / tau)``, C.
    """
    return temperature_from_decay_c(temperature_c, equilibrium_c,
                                    math.exp(-duration_h / tau_h))


@_jit
def temperature_from_decay_c(temperature_c, equilibrium_c, decay):
    """`temperature_after_c` with its decay factor ``exp(-duration / tau)`` given.

    For a kernel that moves many stretches of one length (a profile interval)
    and computes each unit's factor once per length.

    Parameters
    ----------
    temperature_c, equilibrium_c : float
        Start and equilibrium temperatures, C.
    decay : float
        ``exp(-duration_h / tau_h)``, dimensionless in (0, 1].

    Returns
    -------
    float
        ``T_eq + (T - T_eq) decay``, C: the 1R1C solution of the module docstring
        (Sonderegger 1978) after the stretch the factor is for.
    """
    return equilibrium_c + (temperature_c - equilibrium_c) * decay


@_jit
def time_to_temperature_h(temperature_c, equilibrium_c, edge_c, tau_h):
    """Hours until the indoor temperature reaches `edge_c`, or ``inf``.

    The node moves monotonically from `temperature_c` towards `equilibrium_c`
    and never reaches it, so the edge is reached only if it lies between the
    two (an edge equal to the start is reached at once; one equal to the
    equilibrium never).

    Parameters
    ----------
    temperature_c, equilibrium_c, edge_c : float
        Start, equilibrium and edge temperatures, C.
    tau_h : float
        Time constant ``R C``, hours, > 0.

    Returns
    -------
    float
        ``tau ln((T - T_eq) / (edge - T_eq))`` when the edge lies on the way,
        else ``inf``; hours.
    """
    if temperature_c == edge_c:
        return 0.0
    if (temperature_c < edge_c < equilibrium_c) or (equilibrium_c < edge_c < temperature_c):
        return tau_h * math.log((temperature_c - equilibrium_c) / (edge_c - equilibrium_c))
    return math.inf


@_jit
def heat_removed_kwh(temperature_c, equilibrium_c, outdoor_c, duration_h, tau_h,
                     resistance_c_per_kw):
    """Heat that crossed the envelope into the home over a stretch, kWh.

    ``integral of (T_out - T(t)) / R dt`` over `duration_h` with `T(t)` the
    exponential of `temperature_after_c`: the envelope term of the node's energy
    balance (positive when the home gains heat from outside).

    Parameters
    ----------
    temperature_c, equilibrium_c, outdoor_c : float
        Indoor temperature at the start, equilibrium, outdoor temperature, C.
    duration_h, tau_h : float
        Stretch length and time constant, hours.
    resistance_c_per_kw : float
        R, C/kW.

    Returns
    -------
    float
        kWh of heat gained through the envelope.
    """
    decay = -math.expm1(-duration_h / tau_h)                  # 1 - exp(-d / tau)
    mean_gap = (outdoor_c - equilibrium_c) * duration_h \
        - (temperature_c - equilibrium_c) * tau_h * decay
    return mean_gap / resistance_c_per_kw


@_jit
def _beyond_integral(start_c, equilibrium_c, edge_c, duration_h, tau_h, sign):
    """``integral of sign * (T(t) - edge) dt`` over `duration_h` from `start_c`."""
    decay = -math.expm1(-duration_h / tau_h)                  # 1 - exp(-d / tau)
    return sign * ((equilibrium_c - edge_c) * duration_h
                   + (start_c - equilibrium_c) * tau_h * decay)


@_jit
def degree_hours_beyond(temperature_c, equilibrium_c, edge_c, duration_h, tau_h, sign):
    """Degree-hours the indoor temperature spends beyond `edge_c` over a stretch, C h.

    ``integral of max(sign * (T(t) - edge), 0) dt`` over `duration_h`, with
    `T(t)` the exponential of `temperature_after_c`. `T` is monotone over the
    stretch, so the part beyond the edge is one sub-interval: all of it, none,
    or the time before or after the crossing of `time_to_temperature_h`.

    Parameters
    ----------
    temperature_c, equilibrium_c, edge_c : float
        Indoor temperature at the start, equilibrium, comfort edge, C.
    duration_h : float
        Stretch length, hours, >= 0.
    tau_h : float
        Time constant ``R C``, hours, > 0.
    sign : float
        +1 counts the time above the edge (cooling), -1 below it (heating).

    Returns
    -------
    float
        Degree-hours beyond the edge, C h, >= 0.
    """
    if duration_h <= 0.0:
        return 0.0
    start_gap = sign * (temperature_c - edge_c)      # > 0: beyond the edge now
    end_gap = sign * (equilibrium_c - edge_c)        # > 0: heading beyond it
    if start_gap >= 0.0 and end_gap >= 0.0:
        out = _beyond_integral(temperature_c, equilibrium_c, edge_c, duration_h, tau_h, sign)
    elif start_gap > 0.0:                            # beyond until it crosses back
        cross = time_to_temperature_h(temperature_c, equilibrium_c, edge_c, tau_h)
        out = _beyond_integral(temperature_c, equilibrium_c, edge_c,
                               min(cross, duration_h), tau_h, sign)
    elif end_gap > 0.0:                              # inside until it crosses out
        cross = time_to_temperature_h(temperature_c, equilibrium_c, edge_c, tau_h)
        if cross >= duration_h:
            return 0.0
        out = _beyond_integral(edge_c, equilibrium_c, edge_c, duration_h - cross, tau_h, sign)
    else:
        return 0.0
    return max(out, 0.0)


@_jit
def comfort_edge_c(mode, setpoint_c, deadband_c):
    """The edge of the comfort band: the home is uncomfortable beyond it (above when
    cooling, below when heating: ``sign = -mode``).

    Parameters
    ----------
    mode : float
        `COOL` (-1) or `HEAT` (+1).
    setpoint_c : float
        Thermostat setpoint, C.
    deadband_c : float
        Width of the thermostat band around the setpoint, C (>= 0).

    Returns
    -------
    float
        ``setpoint + deadband / 2`` when cooling, ``setpoint - deadband / 2`` when
        heating, C (the band of a hysteresis thermostat, as in GridLAB-D's
        residential module).
    """
    return setpoint_c - mode * 0.5 * deadband_c


@_jit
def switch_edge_c(mode, on, setpoint_c, deadband_c):
    """The thermostat edge that switches a unit in state `on`.

    Cooling: an idle unit starts at ``setpoint + deadband / 2``, a running one
    stops at ``setpoint - deadband / 2``; heating the other way round (a
    hysteresis thermostat, as in GridLAB-D's residential module).

    Parameters
    ----------
    mode : float
        `COOL` (-1) or `HEAT` (+1).
    on : float
        Compressor state, 1.0 on or 0.0 off.
    setpoint_c : float
        Thermostat setpoint, C.
    deadband_c : float
        Width of the thermostat band, C (>= 0).

    Returns
    -------
    float
        The edge temperature, C.
    """
    half = 0.5 * deadband_c
    if (mode < 0.0) == (on > 0.0):
        return setpoint_c - half
    return setpoint_c + half


@_jit
def past_edge(mode, on, temperature_c, edge_c):
    """True when a unit in state `on` is at or beyond its switching edge.

    An idle cooler switches on at or above its upper edge, a running one off at
    or below its lower edge; a heater the other way round.

    Parameters
    ----------
    mode : float
        `COOL` (-1) or `HEAT` (+1).
    on : float
        Compressor state, 1.0 on or 0.0 off.
    temperature_c : float
        Indoor (or tank) temperature now, C.
    edge_c : float
        Its switching edge (`switch_edge_c`), C.

    Returns
    -------
    bool
        Whether the thermostat switches the unit now.
    """
    rising = (mode < 0.0) != (on > 0.0)      # the edge that switches it is above
    return temperature_c >= edge_c if rising else temperature_c <= edge_c


@_jit
def mixed_environment_c(ambient_c, ua_kw_per_c, inlet_c, draw_kw_per_c):
    """The environment a storage tank tends to with its element off, C.

    A tank losing ``UA (T_amb - T)`` through its jacket and ``k (T - T_in)`` to
    draws (hot water out, inlet water in at `inlet_c`) is the 1R1C node of this
    module with the environment ``(UA T_amb + k T_in) / (UA + k)`` and the
    resistance ``1 / (UA + k)`` (`mixed_resistance_c_per_kw`).

    Parameters
    ----------
    ambient_c, inlet_c : float
        Ambient (around the tank) and cold-water inlet temperatures, C.
    ua_kw_per_c : float
        Standby loss coefficient UA, kW/C, > 0.
    draw_kw_per_c : float
        Draw as heat flow per C, kW/C, >= 0 (``WATER_KWH_PER_L_C`` litres per hour).

    Returns
    -------
    float
        ``(UA T_amb + k T_in) / (UA + k)``, C (the tank as one mixed node, the
        model of EnergyPlus's ``WaterHeater:Mixed`` and OCHRE's ``OneNodeWaterModel``).
    """
    return (ua_kw_per_c * ambient_c + draw_kw_per_c * inlet_c) / (ua_kw_per_c + draw_kw_per_c)


@_jit
def mixed_resistance_c_per_kw(ua_kw_per_c, draw_kw_per_c):
    """The tank's effective thermal resistance (see `mixed_environment_c`).

    Parameters
    ----------
    ua_kw_per_c : float
        Standby loss coefficient UA, kW/C, > 0.
    draw_kw_per_c : float
        Draw as heat flow per C, kW/C, >= 0.

    Returns
    -------
    float
        ``1 / (UA + k)``, C/kW.
    """
    return 1.0 / (ua_kw_per_c + draw_kw_per_c)
