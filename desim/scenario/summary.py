"""One-line summaries of scenarios (for `desim validate` and logs)."""

from __future__ import annotations

from desim.scenario.schema import Scenario

__all__ = ["summarize"]


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def summarize(scenario: Scenario, prosumers=None) -> str:
    """A short description: horizon, fleet, events, policies, sessions.

    `prosumers` are the explicit homes with their descriptions resolved (as
    `desim.sim.preflight.check_runnable` returns them); without them, EVs of
    described homes are left uncounted and the summary says so.
    """
    info, fleet = scenario.info, scenario.fleet
    parts = [f'"{info.name}"',
             f"{scenario.duration_h:g} h from {scenario.start:%Y-%m-%d %H:%M %Z} "
             f"({info.time_zone}, {info.interval_min} min data, seed {info.seed})"]
    homes = []
    if fleet.generate is not None:
        homes.append(f"{fleet.generate.n:,} generated ({fleet.generate.adoption})")
    if getattr(fleet, "file", None) is not None:
        homes.append(f"the fleet in {fleet.file}")
    if fleet.prosumers:
        resolved = prosumers if prosumers is not None else fleet.prosumers
        n_evs = sum(len(p.evs) for p in resolved)
        described = 0 if prosumers is not None else sum(1 for p in resolved if p.description)
        homes.append(f"{_plural(len(fleet.prosumers), 'explicit home')} "
                     f"with {_plural(n_evs, 'EV')}"
                     + (f" (plus those of {described} described, parsed at run time)"
                        if described else ""))
    parts.append(" + ".join(homes) if homes else "no homes (EVs from the sessions file)")
    parts.append(_plural(len(scenario.market.events), "dispatch event"))
    control = scenario.control
    parts.append(f"EV policy {control.ev_policy}, battery policy {control.bess_policy}")
    if scenario.sessions is not None:
        parts.append(f"sessions from {scenario.sessions.path}")
    return "; ".join(parts)
