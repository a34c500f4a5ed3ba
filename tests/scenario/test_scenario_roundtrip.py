"""Property: any valid scenario dumps to TOML that loads back equal."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from hypothesis import assume, given
from hypothesis import strategies as st

from desim.scenario import (
    BessSpec,
    ControlSpec,
    DispatchEventSpec,
    EvSpec,
    FileSource,
    FleetSpec,
    GenerateSpec,
    MarketSpec,
    OutputSpec,
    PreferencesSpec,
    ProfilesSpec,
    ProsumerSpec,
    Scenario,
    ScenarioInfo,
    SessionsSpec,
    Site,
    SolarSpec,
    dump_scenario,
    scenario_from_dict,
    scenario_from_toml,
    scenario_to_dict,
)
from desim.scenario.schema import EVENT_KINDS, OUTPUT_FORMATS

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
ZONES = ["America/Los_Angeles", "UTC", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata"]

text = st.text(min_size=1, max_size=12).filter(lambda t: t.strip() != "")
finite = dict(allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-3, max_value=1e6, **finite)
nonneg = st.floats(min_value=0, max_value=1e4, **finite)
percent = st.floats(min_value=0, max_value=100, **finite)
hhmm = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
maybe = st.none().__or__


def bess():
    def build(product, cap, power, eff, init, bounds):
        lo, hi = sorted(bounds)
        return BessSpec(product=product, capacity_kwh=cap, max_power_kw=power, efficiency=eff,
                        initial_soc_percent=init, min_soc_percent=lo, max_soc_percent=hi)
    bounds = st.tuples(percent, percent).filter(lambda b: b[0] != b[1])
    return st.one_of(
        st.builds(build, text, maybe(positive), maybe(positive),
                  st.floats(0.01, 1.0), percent, bounds),
        st.builds(build, st.none(), positive, positive, st.floats(0.01, 1.0), percent, bounds))


def ev():
    numbers = dict(kwh_per_mile=maybe(positive), initial_soc_percent=percent,
                   departure_soc_percent=percent, departure=hhmm, arrival=hhmm,
                   daily_miles=nonneg, v2g_max_kw=nonneg)
    return st.one_of(
        st.builds(EvSpec, product=text, capacity_kwh=maybe(positive),
                  max_charge_power_kw=maybe(positive), **numbers),
        st.builds(EvSpec, product=st.none(), capacity_kwh=positive,
                  max_charge_power_kw=positive, **numbers))


prosumer = st.builds(
    ProsumerSpec, id=text, annual_load_kwh=maybe(positive), description=maybe(text),
    preferences=st.builds(
        PreferencesSpec, profile=st.sampled_from(["conservative", "moderate", "aggressive"]),
        participation_willingness=maybe(st.floats(0, 1)), min_compensation_per_kwh=maybe(nonneg),
        backup_power_hours=maybe(nonneg), max_discharge_percent=maybe(percent),
        ev_priority=maybe(st.sampled_from(["low", "medium", "high"]))),
    bess=maybe(bess()),
    solar=maybe(st.builds(SolarSpec, capacity_kw=positive, tilt_deg=st.floats(0, 90),
                          azimuth_deg=st.floats(0, 360))),
    evs=st.lists(ev(), max_size=2).map(tuple))

override_value = st.recursive(
    st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.floats(**finite), st.text()),
    lambda inner: st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)

generate = st.builds(GenerateSpec, n=st.integers(1, 10**6), adoption=text,
                     overrides=st.dictionaries(st.text(max_size=8), override_value, max_size=3))


def local(tz: str, naive: dt.datetime, ambiguous: bool) -> pd.Timestamp:
    return pd.Timestamp(naive).tz_localize(ZoneInfo(tz), ambiguous=ambiguous,
                                           nonexistent="shift_forward")


@st.composite
def scenarios(draw):
    tz = draw(st.sampled_from(ZONES))
    start = local(tz, draw(st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2040, 1, 1))),
                  draw(st.booleans()))
    # whole quarter hours keep events exact; at least one hour covers every interval
    quarters = draw(st.integers(4, 24 * 4 * 400))
    in_days = draw(st.booleans()) and quarters % 2 == 0
    info = ScenarioInfo(
        name=draw(text), time_zone=tz, start=start,
        duration_h=None if in_days else quarters / 4,
        duration_days=quarters / 96 if in_days else None,
        seed=draw(st.integers(0, 2**63)), interval_min=draw(st.sampled_from([1, 5, 15, 30, 60])),
        description=draw(st.text(max_size=20)))
    events = []
    begin = 0
    for i in range(draw(st.integers(0, 3))):  # events do not overlap
        if begin >= quarters:
            break
        begin = draw(st.integers(begin, quarters - 1))
        length = draw(st.integers(1, quarters - begin))
        events.append(DispatchEventSpec(
            id=f"ev-{i}-{draw(text)}", start=start + pd.Timedelta(minutes=15 * begin),
            duration_h=length / 4, target_kw=draw(positive), price_per_mwh=draw(nonneg),
            direction=draw(st.sampled_from(["discharge", "absorb"]))))
        begin += length
    fleet = FleetSpec(generate=draw(maybe(generate)),
                      prosumers=tuple(draw(st.lists(prosumer, max_size=3,
                                                    unique_by=lambda p: p.id))))
    sessions = draw(maybe(st.sampled_from([SessionsSpec(csv="data/sessions.csv"),
                                           SessionsSpec(acn_json="data/acn_sessions.json")])))
    assume(fleet.generate is not None or fleet.prosumers or sessions is not None)
    policy = st.sampled_from(["lab.policies:charge", "x:y.z"])
    return Scenario(
        info=info,
        site=Site(latitude=draw(st.floats(-90, 90)), longitude=draw(st.floats(-180, 180)),
                  altitude_m=draw(st.floats(-500, 9000))),
        fleet=fleet,
        profiles=ProfilesSpec(
            solar=draw(st.sampled_from(["clearsky", "clearsky_markov",
                                        FileSource("csv", "data/sessions.csv")])),
            load=draw(st.sampled_from(["california", FileSource("csv_dir", "data")])),
            prices=draw(st.sampled_from(["pge_e_tou_c", "day_ahead"]))),
        market=MarketSpec(allocation=draw(st.sampled_from(["pro_rata", "merit"])),
                          prosumer_share=draw(st.floats(0, 1)), events=tuple(events)),
        control=ControlSpec(
            ev_policy=draw(st.sampled_from(["uncontrolled", "smart", "price_responsive"]) | policy),
            smart_order=draw(st.sampled_from(["edf", "llf"])),
            bess_policy=draw(st.sampled_from(["self_consumption", "follow_dispatch"]) | policy),
            site_limit_kw=draw(maybe(positive)), departure_guard=draw(st.booleans())),
        sessions=sessions,
        output=OutputSpec(
            formats=tuple(draw(st.lists(st.sampled_from(OUTPUT_FORMATS), min_size=1,
                                        unique=True))),
            event_kinds=tuple(draw(st.lists(st.sampled_from(EVENT_KINDS), unique=True)))),
    )


@given(scenarios())
def test_dump_then_load_gives_an_equal_scenario(scenario):
    text_form = dump_scenario(scenario)
    assert scenario_from_toml(text_form, base_dir=SCENARIOS) == scenario


@given(scenarios())
def test_to_dict_then_from_dict_gives_an_equal_scenario(scenario):
    assert scenario_from_dict(scenario_to_dict(scenario), base_dir=SCENARIOS) == scenario


@given(scenarios())
def test_dumping_is_stable(scenario):
    text_form = dump_scenario(scenario)
    assert dump_scenario(scenario_from_toml(text_form, base_dir=SCENARIOS)) == text_form
