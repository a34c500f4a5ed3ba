"""Everything `desim run` checks before it simulates, without simulating.

`desim validate` and `desim run` both call `check_runnable` after loading a
scenario, so a file that validates is one that run accepts: the fleet fits in
memory, the adoption preset and its overrides are valid, catalog products
exist, descriptions parse (with the offline rules parser; other parsers are
asked at run time), session files pass the session validator, policies import
and build, profile CSV files cover the run, and a program baseline has a like
day before every event.
"""

from __future__ import annotations

import pandas as pd

from desim.errors import DesimError, ScenarioError

__all__ = ["check_runnable", "baseline_warnings"]


def _add(problems: list[str], source: str, message: str, prefix: str = "") -> None:
    """Collect `message`, stripping a leading ``source:`` (added once when raising)."""
    for line in message.splitlines():
        line = line.strip()
        if not line or (line.endswith(":") and "problems" in line):
            continue  # the header of a nested list of problems
        problems.append(prefix + line.removeprefix(f"{source}: "))


def _generated_index(ident: str, prefix: str, n: int) -> int | None:
    """The index of the generated prosumer `ident` names (`desim.fleet.generate.make_ids`:
    ``<prefix><index>``, zero-padded to ``max(6, digits of n - 1)``), or None."""
    digits = ident[len(prefix):]
    if (ident.startswith(prefix) and digits.isascii() and digits.isdigit()
            and len(digits) == max(6, len(str(max(n - 1, 0)))) and int(digits) < n):
        return int(digits)
    return None


def _check_ids(scenario, table, problems: list[str]) -> None:
    """Prosumer and EV ids used twice across the fleet's parts (generated homes, the
    fleet file `table`, explicit homes), found without generating the fleet: the run
    refuses them (`desim.scenario.build.build_fleet`), a sharded run in every shard."""
    gen = scenario.fleet.generate
    n_gen = gen.n if gen is not None else 0
    explicit = [str(p.id) for p in scenario.fleet.prosumers]
    file_ids = [] if table is None else [str(v) for v in table.prosumer_id.tolist()]
    seen = set(file_ids)
    for ident in explicit:
        if ident in seen:
            problems.append(f"fleet.prosumers: expected ids not used elsewhere in the fleet, "
                            f"got {ident!r}, also in fleet.file")
    for where, ids in (("fleet.file", file_ids), ("fleet.prosumers", explicit)):
        for ident in ids:
            if _generated_index(ident, "prosumer_", n_gen) is not None:
                problems.append(f"{where}: expected ids not used elsewhere in the fleet, got "
                                f"{ident!r}, also a generated home's (fleet.generate)")
                break
    if table is not None and table.n_evs:
        # a file's EV ids against the ids generated and explicit homes give their EVs
        # (``<prosumer id>-ev<k>``)
        homes = set(explicit)
        for ident in (str(v) for v in table.ev_id.tolist()):
            home, sep, k = ident.rpartition("-ev")
            if sep and k.isdigit() and (home in homes or _generated_index(
                    home, "prosumer_", n_gen) is not None):
                problems.append(f"fleet.file: ev_id: expected ids not used elsewhere in the "
                                f"fleet, got {ident!r}, also an EV id of {home!r}")
                break


def _check_generate(scenario, problems: list[str]) -> None:
    from desim.fleet.config import FleetConfig, presets
    from desim.fleet.limits import fleet_size_problem

    file = getattr(scenario.fleet, "file", None)
    n_file = 0
    table = None
    if file is not None:
        from desim.scenario.build import read_fleet_file
        try:
            table = read_fleet_file(scenario, file)
            n_file = table.n_prosumers
        except DesimError as exc:
            _add(problems, scenario.source, str(exc))
    _check_ids(scenario, table, problems)
    gen = scenario.fleet.generate
    if gen is None:
        return
    too_many = fleet_size_problem(gen.n + n_file + len(scenario.fleet.prosumers),
                                  "fleet.generate.n")
    if too_many is not None:
        problems.append(too_many)
    names = presets()
    if gen.adoption not in names:
        problems.append(f"fleet.generate.adoption: expected one of "
                        f"{', '.join(repr(n) for n in names)}, got {gen.adoption!r}")
        return
    try:
        FleetConfig.from_dict(dict(gen.overrides), path="fleet.generate.overrides",
                              base=gen.adoption)
    except DesimError as exc:
        _add(problems, scenario.source, str(exc))


def _check_prosumers(scenario, parser, descriptions: bool, problems: list[str]):
    """Catalog names and figures of explicit homes, with their descriptions parsed.

    Returns the explicit homes as the run builds them (descriptions resolved),
    or None when descriptions are left to the run.
    """
    from desim.scenario.build import explicit_table, resolve_descriptions

    prosumers = list(scenario.fleet.prosumers)
    if not prosumers:
        return ()
    name = getattr(scenario.fleet, "parser", "rules")
    resolved = None
    if not descriptions or (parser is None and name != "rules"):
        prosumers = [p for p in prosumers if not p.description]  # parsed at run time
    else:
        try:
            prosumers, _ = resolve_descriptions(prosumers, parser, name)
            resolved = tuple(prosumers)
        except DesimError as exc:
            _add(problems, scenario.source, str(exc))
            return None
    try:
        explicit_table(prosumers, scenario.source)
    except DesimError as exc:
        _add(problems, scenario.source, str(exc))
    return resolved


def _check_sessions(scenario, horizon_h: float, problems: list[str]) -> None:
    from desim.sim.run import replay_fleet
    from desim.sim.session_input import read_acn_json, read_sessions_csv

    s = scenario.sessions
    if s is None:
        return
    path = scenario.resolve_path(s.path)
    try:
        frame = (read_sessions_csv(path, scenario.start, horizon_h) if s.csv is not None
                 else read_acn_json(path, scenario.start, horizon_h=horizon_h))
        replay_fleet(frame)
    except DesimError as exc:
        _add(problems, scenario.source, str(exc), f"sessions.{s.kind}: ")


def _check_policies(scenario, problems: list[str]) -> None:
    from desim.sim.policy_check import resolve_bess_policy, resolve_ev_policy

    control = scenario.control
    for resolve, args in ((resolve_ev_policy, (control.ev_policy, control.smart_order)),
                          (resolve_bess_policy, (control.bess_policy,))):
        try:
            resolve(*args)
        except DesimError as exc:
            _add(problems, scenario.source, str(exc))


def _check_profiles(scenario, problems: list[str]) -> None:
    from desim import profiles

    info = scenario.info
    sources = {key: getattr(scenario.profiles, key) for key in ("solar", "load", "prices")}
    if all(isinstance(v, str) or v.kind == "weather_file" for v in sources.values()):
        return
    n_steps = int(round(scenario.duration_h * 60.0 / info.interval_min))
    times = profiles.make_times(pd.Timestamp(info.start), n_steps, info.interval_min,
                                info.time_zone)
    readers = {"csv": {"solar": profiles.csv_solar_kw_per_kw,
                       "prices": profiles.csv_price_usd_per_mwh},
               "csv_dir": {"load": profiles.CsvLoadProfiles}}
    for key, src in sources.items():
        reader = None if isinstance(src, str) else readers.get(src.kind, {}).get(key)
        if reader is None:
            continue
        try:
            reader(scenario.resolve_path(src.path), times)
        except DesimError as exc:
            _add(problems, scenario.source, str(exc), f"profiles.{key}.{src.kind}: ")


def _check_program_baseline(scenario, problems: list[str]) -> None:
    """A program baseline needs a like day before every event (`settlement.like_day_problems`;
    fewer than ten is warned of when the run starts, and by `baseline_warnings`)."""
    problems.extend(_program_baseline_problems(scenario)[0])


def baseline_warnings(scenario) -> list[str]:
    """What a run of `scenario` will warn of about its settlement baseline: each event
    with fewer like days before it than a program baseline averages (it is paid
    against those it has; the settlement's ``like_days`` says how many)."""
    return _program_baseline_problems(scenario)[1]


def _program_baseline_problems(scenario) -> tuple[list[str], list[str]]:
    """``(errors, warnings)`` of a program baseline's like days (none for other baselines)."""
    market = scenario.market
    if market.baseline != "caiso_10in10" or not market.events:
        return [], []
    from desim.sim import settlement as stl
    from desim.sim.run import scenario_events

    info = scenario.info
    start = pd.Timestamp(info.start)
    interval_h = info.interval_min / 60.0
    horizon_h = scenario.duration_h
    try:
        events = scenario_events(scenario, start, horizon_h)
    except DesimError as exc:
        problems: list[str] = []
        _add(problems, scenario.source, str(exc))
        return problems, []
    windows = stl.event_windows(events.start_h, events.end_h, interval_h,
                                int(round(horizon_h / interval_h)), market.rebound_h)
    return stl.like_day_problems(
        [stl.program_days(start, w, interval_h) for w in windows], events.event_id)


def check_runnable(scenario, parser=None, descriptions: bool = True):
    """Check what `desim run` would reject, before any simulation.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario (schema checks passed).
    parser : ProsumerParser, optional
        Parser for descriptions; default: the scenario's when it is ``rules``
        (offline); other parsers are left to the run.
    descriptions : bool
        Whether to parse descriptions at all (False when the run will use a
        parser that is not asked here).

    Returns
    -------
    tuple of ProsumerSpec or None
        The explicit homes as the run builds them (descriptions resolved), or
        None when some descriptions are left to the run.

    Raises
    ------
    ScenarioError
        Listing every problem, each as ``file: path: expected ..., got ...``.
    """
    problems: list[str] = []
    _check_generate(scenario, problems)
    prosumers = _check_prosumers(scenario, parser, descriptions, problems)
    _check_sessions(scenario, scenario.duration_h, problems)
    _check_policies(scenario, problems)
    _check_profiles(scenario, problems)
    _check_program_baseline(scenario, problems)
    if problems:
        source = scenario.source
        if len(problems) == 1:
            raise ScenarioError(f"{source}: {problems[0]}")
        raise ScenarioError(f"{len(problems)} problems in {source}:\n  "
                            + "\n  ".join(f"{source}: {p}" for p in problems))
    return prosumers
