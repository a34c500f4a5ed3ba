"""A second, independent check of the HVAC reference: numerical integration of the ODE.

Integrates ``C dT/dt = (T_out - T)/R -/+ s cop P`` with ``scipy.integrate.solve_ivp``
(DOP853, tight tolerances) and finds the thermostat switches as terminal events at the
deadband edges, restarting in the switched state; the integration is broken at every
boundary of the piecewise-constant outdoor temperature. It shares no code with
``hvac_reference`` (only the input format), so agreement checks the closed form.

The thermostat rules are the same as those written down in ``hvac_reference``: start ON
only when the initial temperature is at or beyond the ON edge (reported as an ``hvac_on``
row at the start); a crossing exactly at a stretch end belongs to that stretch; at a
stretch start a temperature at or beyond the switching edge switches at once.

Besides the indoor temperature the integrator carries two more states, both integrated
numerically: the electric energy (kWh) and the heat that came in through the envelope,
``integral of (T_out - T)/R dt`` (kWh), used by the energy-balance test.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from scipy.integrate import solve_ivp

__all__ = ["OdeRun", "ode_events"]

_MODES = {"ac": "cool", "heat_pump": "heat"}


class OdeRun(NamedTuple):
    events: list[tuple[float, str, float]]
    end_temperature_c: float
    energy_kwh: float
    envelope_heat_kwh: float
    """Integral of (T_out - T)/R over the run."""
    initial_event: bool


def _outdoor_pieces(outdoor, start_h, end_h, interval_h):
    rows = sorted((float(a), float(v)) for a, v in outdoor)
    if interval_h is None:
        interval_h = rows[1][0] - rows[0][0]
    pieces = []
    for i, (a, value) in enumerate(rows):
        b = rows[i + 1][0] if i + 1 < len(rows) else a + interval_h
        if i + 1 == len(rows) and abs(b - end_h) <= 1e-9:
            b = end_h
        lo, hi = max(a, start_h), min(b, end_h)
        if hi > lo:
            pieces.append((lo, hi, value))
    if not pieces or pieces[0][0] != start_h or pieces[-1][1] != end_h:
        raise ValueError("outdoor rows do not cover the run")
    return pieces


def ode_events(params: Mapping, outdoor: Sequence[tuple[float, float]], *, end_h: float,
               start_h: float = 0.0, interval_h: float | None = None,
               mode: str | None = None, rtol: float = 1e-10, atol: float = 1e-10,
               method: str = "DOP853") -> OdeRun:
    """Switching events of the thermostat found by integrating the ODE.

    ``params`` is a mapping with the scenario file's ``hvac`` keys (and ``kind`` or
    ``mode``); ``mode`` ("cool"/"heat") wins. Same arguments and event rows as
    ``hvac_reference.hvac_events``.
    """
    if mode is None:
        mode = params.get("mode") or _MODES[params.get("kind", "ac")]
    heating = mode == "heat"
    r = float(params["thermal_resistance_c_per_kw"])
    c = float(params["thermal_capacitance_kwh_per_c"])
    p = float(params["rated_power_kw"])
    cop = float(params["cop"])
    lo = float(params["setpoint_c"]) - float(params["deadband_c"]) / 2
    hi = float(params["setpoint_c"]) + float(params["deadband_c"]) / 2
    temperature = float(params["initial_temperature_c"])

    def must_switch(temp, on):
        if heating:
            return temp >= hi if on else temp <= lo
        return temp <= lo if on else temp >= hi

    on = must_switch(temperature, False)
    initial = on
    events = [(start_h, "hvac_on", temperature)] if on else []
    energy = 0.0
    envelope = 0.0

    for a, b, t_out in _outdoor_pieces(outdoor, start_h, end_h, interval_h):
        t = a
        if must_switch(temperature, on):
            on = not on
            events.append((t, "hvac_on" if on else "hvac_off", temperature))
        while t < b:
            s = 1.0 if on else 0.0
            q = (1.0 if heating else -1.0) * s * cop * p

            def rhs(_t, y, t_out=t_out, q=q, s=s):
                gain = (t_out - y[0]) / r
                return [(gain + q) / c, s * p, gain]

            edge = (hi if on else lo) if heating else (lo if on else hi)
            falling = on != heating

            def hit(_t, y, edge=edge):
                return y[0] - edge

            hit.terminal = True
            hit.direction = -1.0 if falling else 1.0
            sol = solve_ivp(rhs, (t, b), [temperature, energy, envelope], method=method,
                            events=hit, rtol=rtol, atol=atol)
            if not sol.success:
                raise RuntimeError(sol.message)
            if sol.t_events[0].size:
                t = float(sol.t_events[0][0])
                temperature, energy, envelope = (float(v) for v in sol.y_events[0][0])
                on = not on
                events.append((t, "hvac_on" if on else "hvac_off", temperature))
            else:
                t = b
                temperature, energy, envelope = (float(v) for v in sol.y[:, -1])
    assert math.isfinite(temperature)
    return OdeRun(events, temperature, energy, envelope, initial)
