"""Custom policies: checked where they are built and at every call; errors name the policy."""

from pathlib import Path

import numpy as np
import pytest

from desim.cli import main
from desim.errors import PolicyError
from desim.scenario import load_scenario
from desim.sim.policies import Smart
from desim.sim.policy_check import CheckedPolicy, resolve_bess_policy, resolve_ev_policy
from desim.sim.run import simulate

ROOT = Path(__file__).resolve().parents[2]
ONE_HOME = ROOT / "scenarios" / "one_home_day.toml"

POLICIES = '''
import numpy as np


class _Base:
    guards_departure = False

    def plug_in_setpoints(self, ev, index, signals):
        return self.setpoints(ev, signals)[index]


class NaN(_Base):
    name = "nan"

    def setpoints(self, ev, signals):
        return np.full(ev.n, np.nan)


class Negative(_Base):
    name = "negative"

    def setpoints(self, ev, signals):
        return -ev.max_charge_kw


class Short(_Base):
    name = "short"

    def setpoints(self, ev, signals):
        return np.zeros(ev.n + 1)


class Raises(_Base):
    name = "raises"

    def setpoints(self, ev, signals):
        raise ZeroDivisionError("oops")


class Fine(_Base):
    name = "fine"

    def setpoints(self, ev, signals):
        return ev.max_charge_kw / 2


def failing_factory():
    raise RuntimeError("no licence")
'''


@pytest.fixture
def policies(tmp_path, monkeypatch):
    (tmp_path / "my_policies.py").write_text(POLICIES)
    (tmp_path / "broken_policies.py").write_text("def f(:\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _scenario(tmp_path, ev_policy: str) -> Path:
    text = ONE_HOME.read_text().replace('ev_policy = "smart"', f'ev_policy = "{ev_policy}"')
    path = tmp_path / f"{ev_policy.partition(':')[2]}.toml"
    path.write_text(text)
    return path


def test_built_in_policies_are_not_wrapped():
    assert isinstance(resolve_ev_policy("smart", "llf"), Smart)
    assert resolve_bess_policy("follow_dispatch").follows_dispatch


@pytest.mark.parametrize(("name", "message"), [
    ("NaN", "setpoints() expected finite kW values, got nan for EV row 0"),
    ("Negative", "setpoints() expected kW within the EV's limits "
                 "(-v2g_max_kw to max_charge_kw: -0 to 11.5 kW for EV row 0), got -11.5"),
    ("Short", "my_policies:Short': setpoints() expected an array of shape (1,) (one kW value "
              "per EV), got shape (2,)"),
    ("Raises", "setpoints() raised ZeroDivisionError: oops"),
])
def test_a_bad_policy_output_stops_the_run_naming_the_policy(policies, name, message):
    scenario = load_scenario(_scenario(policies, f"my_policies:{name}"))
    with pytest.raises(PolicyError) as info:
        simulate(scenario)
    assert str(info.value).startswith("control.ev_policy 'my_policies:")
    assert message in str(info.value)


def test_a_checked_policy_runs_like_the_policy_itself(policies):
    run = simulate(load_scenario(_scenario(policies, "my_policies:Fine")))
    assert isinstance(run.inputs.ev_policy, CheckedPolicy)
    assert run.inputs.ev_policy.name == "fine"
    assert np.isfinite(run.result.series["net_kw"]).all()


@pytest.mark.parametrize(("spec", "message"), [
    ("my_policies:failing_factory", "could not be imported or built (RuntimeError: no licence)"),
    ("broken_policies:f", "could not be imported or built (SyntaxError"),
    ("no_such_module_here:f", "cannot import"),
])
def test_a_policy_that_cannot_be_built_is_an_error_naming_it(policies, spec, message):
    with pytest.raises(PolicyError if "built" in message else Exception) as info:
        resolve_ev_policy(spec)
    assert spec in str(info.value) and message in str(info.value)


def test_cli_nan_policy_exits_2_naming_it_and_validate_reports_a_broken_factory(
        policies, capsys):
    for args, expected in (
            (["run", str(_scenario(policies, "my_policies:NaN")), "-o",
              str(policies / "out"), "-q"], "'my_policies:NaN': plug_in_setpoints() expected finite"),
            (["validate", str(_scenario(policies, "my_policies:failing_factory"))],
             "'my_policies:failing_factory': could not be imported or built")):
        with pytest.raises(SystemExit) as info:
            main(args)
        err = capsys.readouterr().err
        assert info.value.code == 2 and "Traceback" not in err
        assert expected in err
    assert not (policies / "out").exists()


def test_the_checks_are_documented():
    text = (ROOT / "docs" / "scenario.md").read_text()
    assert "checked at every call" in text
