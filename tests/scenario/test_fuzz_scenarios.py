"""Mutated shipped scenarios: every outcome is a clean result or a DesimError.

Hypothesis replaces, deletes or adds keys anywhere in a shipped scenario (wrong
types, huge and tiny numbers, NaN, odd strings and paths, out-of-range dates,
custom policy references) and checks what `desim validate` does (load and
preflight), and for a few, what `desim run` does, end to end.
"""

import copy
import datetime as dt
import tomllib
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from desim.cli import main
from desim.errors import DesimError, DesimWarning
from desim.scenario import scenario_from_dict
from desim.scenario._toml import dumps
from desim.sim.preflight import check_runnable

ROOT = Path(__file__).resolve().parents[2] / "scenarios"
BASES = {p.name: tomllib.loads(p.read_text()) for p in sorted(ROOT.glob("*.toml"))}
SMALL = ("one_home_day.toml", "acn_replay.toml")

SPECIAL = st.sampled_from([
    0, -1, 2**63 - 1, -2**63, 10**15, 0.001, 1e-300, 1e308, "", "../x", "/etc/passwd",
    "a" * 5000, "07:00", "25:00", "Mars/Base", "smart", "os:getcwd", "math:sqrt",
    "no_such_module_xyz:f", "desim.nope:f", [], [1], ["csv"], {}, {"a": 1},
    {"csv": "data/sessions.csv"}, {"csv": "nope.csv"}, {"csv_dir": "data"},
    {"csv": "data/acn_sessions.json"}, {"weather_file": "data/sessions.csv"},
    dt.datetime(2026, 3, 8, 2, 30), dt.date(2026, 1, 1), dt.time(7, 30),
])
VALUES = st.one_of(
    SPECIAL, st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31)),
    st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=14))])),
)


def _paths(node, prefix=()):
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


@st.composite
def mutants(draw, names=tuple(BASES)):
    name = draw(st.sampled_from(names))
    raw = copy.deepcopy(BASES[name])
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(raw))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = raw
        for key in path[:-1]:
            parent = parent[key]
        key, op = path[-1], draw(st.sampled_from(["replace", "replace", "scale", "delete",
                                                  "add"]))
        old = parent[key]
        if op == "delete" and isinstance(parent, dict):
            del parent[key]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "nme", "file"]))] = draw(VALUES)
        elif op == "scale" and isinstance(old, int | float) and not isinstance(old, bool):
            factor = draw(st.sampled_from([-1, 0, 1e-6, 1e3, 1e9, 1e300]))
            parent[key] = old * factor if isinstance(old, float) else int(old * min(factor,
                                                                                    1e9))
        else:
            parent[key] = copy.deepcopy(draw(VALUES))
    return name, raw


#: How numpy scalars print (numpy 2): a message naming a value as ``np.float64(3.0)``
#: shows the user an implementation detail instead of the value they wrote.
NUMPY_REPRS = ("np.float64(", "np.float32(", "np.int64(", "np.int32(", "np.str_(", "np.True_",
               "np.False_", "np.bool_(")


def _clean_or_desim_error(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
        except DesimError as exc:
            assert not any(r in str(exc) for r in NUMPY_REPRS), str(exc)
    assert all(issubclass(w.category, DesimWarning) for w in caught), \
        [str(w.message) for w in caught]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(mutants())
def test_validate_of_a_mutated_scenario_gives_a_result_or_a_desim_error(case):
    name, raw = case

    def validate():
        check_runnable(scenario_from_dict(raw, source=name, base_dir=ROOT))

    _clean_or_desim_error(validate)


@pytest.mark.slow
@settings(max_examples=8, suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.function_scoped_fixture])
@given(mutants(SMALL))
def test_run_of_a_mutated_scenario_exits_0_or_2_without_traceback(tmp_path_factory, case):
    name, raw = case
    try:
        text = dumps(raw)
        assume(tomllib.loads(text) == raw)
    except (TypeError, ValueError, tomllib.TOMLDecodeError):
        assume(False)
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / name
    (folder / "data").symlink_to(ROOT / "data")
    path.write_text(text)

    def run():
        try:
            main(["run", str(path), "-o", str(folder / "out"), "-q"])
        except SystemExit as exc:
            assert exc.code in (0, 2, None)

    _clean_or_desim_error(run)
