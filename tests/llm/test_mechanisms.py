"""RuleBasedParser mechanisms: forms, scope, corrections, multiples, spelling, negation."""

import pytest

from desim.llm import RuleBasedParser

PARSER = RuleBasedParser()


def parsed(text):
    return PARSER.parse(text)


@pytest.mark.parametrize("text", [
    "battery_capacity_kwh=13.5; solar_kw=8",
    "Battery capacity: 13.5 kWh\nSolar size (kW): 8",
    "| Field | Value |\n|---|---|\n| Battery | 13.5 kWh |\n| PV | 8 kW |",
    "Storage ........ 13.5 kWh\nSolar array ..... 8 kW",
    "- Home battery: 13.5\n- Sun catchers: 8 kWp",
    "Q: How big is your battery? A: 13.5 kWh. Q: Do you have solar? A: Yes, 8 kW."])
def test_forms_tables_and_lists_are_read_by_their_labels(text):
    config = parsed(text)
    assert (config.bess_capacity_kwh, config.solar_capacity_kw) == (13.5, 8.0)


def test_a_header_table_gives_one_item_per_row_and_drops_other_households_columns():
    config = parsed("| | Ours | Neighbour |\n|---|---|---|\n| Battery | none | Powerwall 3 |\n"
                    "| Solar | 4.95 kW | 10 kW |")
    assert (config.bess_capacity_kwh, config.solar_capacity_kw) == (None, 4.95)


@pytest.mark.parametrize("text", ["Solar: none", "PV = n/a", "Solar? [ ] yes [X] no",
                                  "- Sun: nope, no panels",
                                  "| Solar | none (tree cover) |\n| Battery | 10 kWh |"])
def test_absence_in_a_form_is_false_not_present(text):
    assert parsed(text).has_solar is False


@pytest.mark.parametrize("text", [
    "My neighbour has a 10 kWh battery; we have a 13.5 kWh one.",
    "My parents have two Powerwalls at their place, but here we have 13.5 kWh of storage.",
    "We used to have an 8 kWh battery; now we have 13.5 kWh."])
def test_only_this_household_now_counts(text):
    assert parsed(text).bess_capacity_kwh == 13.5


def test_a_car_sold_or_on_order_is_no_ev_when_the_text_says_there_is_none_now():
    config = parsed("We sold our Leaf last year and a Model Y is on order; for now we drive a "
                    "diesel.")
    assert (config.has_ev, config.ev_count) == (False, 0)


def test_another_households_solar_then_we_dont_is_absence():
    assert parsed("My neighbour's got solar; we don't.").has_solar is False


def test_a_retail_rate_is_not_the_minimum_compensation():
    config = parsed("We pay 38 cents per kWh retail. Pay me at least 20 cents per kWh.")
    assert config.min_compensation_per_kwh == pytest.approx(0.20)


@pytest.mark.parametrize("text, kwh", [
    ("Battery is 10 kWh, sorry, 13.5.", 13.5), ("12 kWh (edit: 12.8 kWh)", 12.8),
    ("Battery (kWh): 11, no wait, 17", 17.0),
    ("Customer said 12 kWh battery; verified on the BMS: 14.3 kWh usable", 14.3)])
def test_a_self_correction_replaces_the_number_and_is_marked_corrected(text, kwh):
    config = parsed(text)
    assert config.bess_capacity_kwh == pytest.approx(kwh)
    assert config.provenance_of("bess_capacity_kwh") == "corrected"


def test_a_corrected_product_name_replaces_the_first():
    config = parsed("powerwall 2... no wait its a powerwall 3")
    assert config.bess_max_power_kw == 11.5


def test_a_corrected_time_replaces_the_first():
    assert parsed("our EV leaves 5:50am... wait no 6:20").ev_charge_deadline == "06:20"


@pytest.mark.parametrize("text, kwh", [
    ("About 10-12 kWh of storage.", 11.0), ("~14 kWh battery, maybe 15", 14.5),
    ("between 8 and 14 kWh of battery", None), ("a 10-ish kWh battery", 10.0)])
def test_narrow_ranges_give_the_midpoint_wide_ones_nothing(text, kwh):
    assert parsed(text).bess_capacity_kwh == (pytest.approx(kwh) if kwh else None)


@pytest.mark.parametrize("text, kwh", [
    ("2x Powerwall 2", 27.0), ("Powerwall 2 x3", 40.5), ("three 5 kWh battery units", 15.0),
    ("Batteries: 2 (identical, 7 kWh each)", 14.0), ("Powerwall 2 + Powerwall 2", 27.0),
    ("Tesla Powerwall 2 (quantity: 2)", 27.0), ("Battery make/model: Tesla Powerwall\n"
                                                "Battery count: 3", 40.5)])
def test_multiples_of_a_battery_are_summed(text, kwh):
    assert parsed(text).bess_capacity_kwh == pytest.approx(kwh)


def test_two_evs_each_with_its_own_capacity_are_not_summed():
    config = parsed("Two 75 kWh EVs, both leaving at 7:00.")
    assert (config.ev_count, config.ev_battery_capacity_kwh) == (2, 75.0)


@pytest.mark.parametrize("text, field, value", [
    ("We have a Tesla Powerwal and a Nisan Leaf.", "ev_battery_capacity_kwh", 40.0),
    ("batt: pwrwall 2", "bess_max_power_kw", 5.0),
    ("Tesla Modle Y LR", "ev_battery_capacity_kwh", 75.0),
    ("LG Resu 10 H Prime", "bess_capacity_kwh", 9.6)])
def test_misspelled_products_match_the_catalog(text, field, value):
    assert getattr(parsed(text), field) == pytest.approx(value)


@pytest.mark.parametrize("text, depth", [
    ("keep 40% pls", 60), ("the aggregator can use 60% of the battery", 60),
    ("Lowest battery level acceptable: 50%", 50), ("Reserve: keep 35%", 65),
    ("Max DoD for aggregator: 75%", 75), ("let them use half the battery", 50)])
def test_limits_in_percent_kept_or_usable(text, depth):
    assert parsed(text).max_discharge_percent == pytest.approx(depth)


@pytest.mark.parametrize("text, soc", [("SOC 84% at visit", 84), ("batt is 8.8kwh at 12% rn", 12),
                                       ("Current state of charge (from app): 76%", 76)])
def test_charge_now(text, soc):
    assert parsed(text).bess_initial_soc_percent == soc


def test_solar_dc_rating_wins_over_ac_and_panel_counts_multiply():
    assert parsed("PV 11.2 kW DC / 9.5 kW AC").solar_capacity_kw == 11.2
    assert parsed("Existing PV: 26 x 385 W mono").solar_capacity_kw == pytest.approx(10.01)


def test_usable_energy_beats_nameplate():
    assert parsed("battery nameplate 10 kWh, usable 9 kWh").bess_capacity_kwh == 9.0


@pytest.mark.parametrize("text", [
    "Wir haben eine 10 kWh Batterie und 8 kW Solaranlage, und ein Elektroauto.",
    "我们有一个13.5千瓦时的电池和8千瓦的太阳能。",
    "Tenemos una batería de 10 kWh y un coche eléctrico con la carga a las 7."])
def test_unknown_language_gives_an_empty_config_with_a_warning(text):
    config = parsed(text)
    assert config.set_fields() == ()
    assert any("not read as English" in w for w in config.warnings)


@pytest.mark.parametrize("text", [
    "EV: 'Modle Y', confirmed Model Y Long Range, leaves 07:40. PV 7.3 kW.",
    "EVs: a Model Y Long Range y un Nissan Leaf, el Leaf leaves at 8; et cetera. PW3."])
def test_english_with_names_or_stray_foreign_tokens_is_read(text):
    config = parsed(text)
    assert config.has_ev is True
    assert not any("not read as English" in w for w in config.warnings)


@pytest.mark.parametrize("text, field, value", [
    ("Batt: Power Wall 3", "bess_max_power_kw", 11.5),
    ("Battery: Generac PWR cell, 6 modules", "bess_capacity_kwh", 18.0),
    ("BESS: aPwr (FranklinWH) x2", "bess_capacity_kwh", 27.2),
    ("We drive a Nissan Leef.", "ev_battery_capacity_kwh", 40.0),
    ("sry, the powerwal is gen 3", "bess_max_power_kw", 11.5),
    ("we have 4 iq5p's", "bess_capacity_kwh", 20.0),
    ("Battery model: 'Resu 16H Primer' (x1)", "bess_capacity_kwh", 16.0),
    ("An LG RESU 16H Prime (sorry, it's actually the 10H Prime).", "bess_capacity_kwh", 9.6),
    ("Our Model 3 is on a 40 A circuit; it's the Long Range version.",
     "ev_battery_capacity_kwh", 75.0)])
def test_product_names_split_unvowelled_or_partial_match_the_catalog(text, field, value):
    assert getattr(parsed(text), field) == pytest.approx(value)


@pytest.mark.parametrize("text, kwh", [
    ("Tesla Powerwll 2, 2 units", 27.0), ("Batt: Power Wall 3 (one unit)", 13.5),
    ("We have a Franklin aPowr, well, actually two of them.", 27.2),
    ("Energy bank: Enphase IQ 10T ×3", 30.24)])
def test_unit_counts_written_after_a_product_multiply_it(text, kwh):
    assert parsed(text).bess_capacity_kwh == pytest.approx(kwh)


def test_a_family_name_without_a_trim_settles_no_figures():
    config = parsed("We drive a Model Y and have a Powerwall 2.")
    assert (config.has_ev, config.ev_count, config.ev_battery_capacity_kwh) == (True, 1, None)


@pytest.mark.parametrize("text, field, value", [
    ("EV: Kia EV6 LR\nneeds: three quarters full", "ev_min_departure_soc_percent", 75.0),
    ("I'd keep a quarter of the battery in reserve for storms.", "max_discharge_percent", 75.0),
    ("Willing: roughly half the time", "participation_willingness", 0.5),
    ("i'd say im 50/50 on participating", "participation_willingness", 0.5),
    ("How much I'm willing: 3 out of 4 events", "participation_willingness", 0.75),
    ("The battery is full right now.", "bess_initial_soc_percent", 100.0),
    ("* Current charge: full", "bess_initial_soc_percent", 100.0),
    ("ev: tesla model s, needs 60% by 0600", "ev_charge_deadline", "06:00"),
    ("all 3 EVs need to be charged by 730am", "ev_charge_deadline", "07:30"),
    ("EV: 1, M3 LR, dep 0645, tgt 85%", "ev_charge_deadline", "06:45"),
    ("EV: Leaf\nMust go at: 06:35", "ev_charge_deadline", "06:35")])
def test_fractions_shares_and_clock_times_without_a_colon(text, field, value):
    assert getattr(parsed(text), field) == (pytest.approx(value) if isinstance(value, float)
                                            else value)


def test_a_quarter_to_seven_is_still_a_time():
    assert parsed("The EV leaves at a quarter to seven.").ev_charge_deadline == "06:45"


@pytest.mark.parametrize("text, field, value", [
    ("• The box on the wall → Tesla Powerwall 3\n• Don't touch below → 25%",
     "max_discharge_percent", 75.0),
    ("bess_kwh=16 ; prio=high", "ev_priority", "high"),
    ("- Importance of the car: high", "ev_priority", "high"),
    ("| Share of events I'll accept | 65% |\n| Hours of backup to keep | 3 |",
     "backup_power_hours", 3.0),
    ("- Most the aggregator can pull: 40% of the pack", "max_discharge_percent", 40.0),
    ("Reserve SOC: 15%", "max_discharge_percent", 85.0),
    ("| EV | Model S |\n|---|---|\n| Out by | 09:00 |\n| Min SOC | 50% |",
     "ev_min_departure_soc_percent", 50.0),
    ("- Minimum: $0.33 per kWh", "min_compensation_per_kwh", 0.33),
    ("- What we'd accept for events: 60 c", "min_compensation_per_kwh", 0.6),
    ("vehicle: BMW i4 eDrive40\nenergy_needed_at_departure: 40.75 kWh",
     "ev_min_departure_soc_percent", 50.0),
    ("Battery capacity: 27 kWh (two units), 10 kW combined", "bess_max_power_kw", 10.0),
    ("EV(s): 3, all need 75% by 7:00 am", "ev_count", 3),
    ("Q: How much backup do you need? A: None, we never lose power.", "backup_power_hours", 0.0),
    ("- DR: mod.", "participation_profile", "moderate")])
def test_form_labels_by_their_words_and_values_by_their_units(text, field, value):
    got = getattr(parsed(text), field)
    assert got == (pytest.approx(value) if isinstance(value, float) else value)


@pytest.mark.parametrize("text", [
    "Current solar: none\nPlanned solar: 8 kW (2026)",
    "| Item | Status |\n|---|---|\n| Solar | planned for next year (not installed) |\n"
    "| EV | none |", "Solar: 0 kW (none)",
    "- Glass on the roof: 0 (we rent, landlord won't allow panels)"])
def test_future_or_zero_solar_items_are_absence(text):
    assert parsed(text).has_solar is False


@pytest.mark.parametrize("text", ["Current EVs: 0\nEV on order: Chevrolet Equinox EV",
                                  "Electric vehicle: sold 2024, none now.",
                                  "* Electric ride: none at ours; Mum drives a Leaf"])
def test_ev_items_that_say_none_now_are_absence(text):
    config = parsed(text)
    assert (config.has_ev, config.ev_count) == (False, 0)


@pytest.mark.parametrize("text", [
    "Community Solar subscriber (off-site share, no panels on the customer's roof).",
    "we have a lil panel on the shed for the chicken coop lol not grid tied, so no real solar",
    "Existing PV system removed during re-roof (no PV at present; reinstall scheduled)."])
def test_solar_that_is_not_on_this_meter_or_not_there_now_is_absence(text):
    assert parsed(text).has_solar is False


@pytest.mark.parametrize("text", [
    "EV in driveway (Tesla Model Y Long Range) belongs to a visiting relative; tenant does not "
    "own an EV.",
    "Homeowner's son parks his Mach-E here on weekends; not a household vehicle. Household has "
    "no EV."])
def test_a_car_said_to_be_someone_elses_is_not_the_households(text):
    config = parsed(text)
    assert (config.has_ev, config.ev_count, config.ev_battery_capacity_kwh) == (False, 0, None)


def test_a_parenthesis_shares_the_scope_of_the_clause_around_it():
    config = parsed("No battery, no PV, no EV at survey. Customer interested in future PV "
                    "(~6 kW) and a Powerwall 3.")
    assert (config.bess_capacity_kwh, config.solar_capacity_kw) == (None, None)


def test_a_neighbours_new_battery_is_theirs_but_the_landlords_panels_on_our_roof_are_ours():
    assert parsed("Our neighbours just put in two Powerwalls, but we don't have a home "
                  "battery.").bess_capacity_kwh is None
    assert parsed("The landlord put 2.4 kW of panels on the roof.").solar_capacity_kw == 2.4


@pytest.mark.parametrize("text, count, kwh, kw", [
    ("Vehicles: 2 electric (Model 3 LR + Model Y LR), both leave at 7:00 am", 2, 75.0, 11.5),
    ("Vehicles enrolled: 2 (Hyundai Ioniq 5 Long Range, Kia EV6 Long Range).", 2, 77.4, None),
    ("| EV | Leaves |\n|---|---|\n| 2021 Bolt | 06:30 |\n| 2021 Bolt | 06:30 |", 2, 66.0, 7.2),
    ("Both of our cars are Nissan Leafs.", 2, 40.0, 6.6),
    ("EV: 'Modle Y', confirmed Model Y Long Range, leaves 07:40.", 1, 75.0, 11.5),
    ("Enrolment for Equinox EV owner. Vehicle: 2024 Chevrolet Equinox EV.", 1, 85.0, None)])
def test_per_ev_catalog_figures_shared_by_every_car(text, count, kwh, kw):
    config = parsed(text)
    assert (config.ev_count, config.ev_battery_capacity_kwh, config.ev_max_charge_power_kw) == (
        count, kwh, kw)


def test_different_models_with_different_figures_leave_per_ev_fields_unset():
    config = parsed("Two EVs: a Nissan Leaf and a Model 3 Long Range.")
    assert (config.ev_count, config.ev_battery_capacity_kwh) == (2, None)


def test_zero_evs_is_no_ev():
    config = parsed("careful user here. 1 powerwall+. 30% reserve. pv 8.8 kw dc. 0 evs")
    assert (config.has_ev, config.ev_count) == (False, 0)


@pytest.mark.parametrize("text", ["the car matters more than anything else",
                                  "Customer: 'charge the trucks first'.", "prio high"])
def test_ev_priority_high_phrases(text):
    assert parsed("We have an EV. " + text).ev_priority == "high"


@pytest.mark.parametrize("text, field, value", [
    ("SYS    QTY  UNIT      TOTAL\nPV     18   400W      7.2kW\nBESS   3    IQ5P      -\n"
     "EV     0    -         -", "bess_capacity_kwh", 15.0),
    ("| Asset | Qty | Model |\n|---|---|---|\n| Battery | 4 | IQ Battery 5P |\n"
     "| Panels | 32 | 370 W |", "solar_capacity_kw", 11.84),
    ("| Vehicle | Battery | Charger |\n|---|---|---|\n| Kia EV6 LR | 77.4 kWh | 7.2 kW |\n\n"
     "House: one Powerwall 3.", "bess_capacity_kwh", 13.5),
    ("BATT   PW+        SOC 65%\nPV     9.0 kWdc   eff 0.85\nEV     ID4 Pro    L2 9.6 kW   "
     "dep 07:25   tgt 80%", "ev_charge_deadline", "07:25"),
    ("| | kWh |\n|---|---|\n| Battery nameplate | 14.0 |\n| Battery usable | 12.6 |\n"
     "| Daily solar yield | 30 |", "bess_capacity_kwh", 12.6),
    ("Battery modules   kWh/module   kW/module\n3                 5.0          2.5",
     "bess_max_power_kw", 7.5)])
def test_tables_with_count_unit_and_value_columns_or_no_header(text, field, value):
    got = getattr(parsed(text), field)
    assert got == (pytest.approx(value) if isinstance(value, float) else value)


def test_a_table_row_for_a_car_on_order_or_a_gas_car_is_no_ev():
    config = parsed("Vehicle      Status         Battery\nModel Y LR   on order       75 kWh\n"
                    "Civic        owned (gas)    -\n\nSolar: 5.8 kW   Home battery: RESU 10H Prime")
    assert (config.has_ev, config.ev_count, config.solar_capacity_kw) == (False, 0, 5.8)


@pytest.mark.parametrize("text, field, value", [
    ("The solar is a 7.6 kW inverter with 9.6 kW of DC panels on it. No battery.",
     "bess_max_power_kw", None),
    ("Existing: 6.12 kW DC array (18 x 340 W), 5 kW string inverter. Installed 1 x Tesla "
     "Powerwall 3.", "bess_max_power_kw", 11.5),
    ("Battery on site: yes, 11.5 kWh, 6 kW inverter", "bess_max_power_kw", 6.0),
    ("My EV leaves at 7 am and should have 85% by then.", "ev_min_departure_soc_percent", 85.0),
    ("tesla model 3 lr leaves at 7am needs 80", "ev_min_departure_soc_percent", 80.0),
    ("System losses modelled at 14% (efficiency 0.86). Solar 6 kW.", "bess_initial_soc_percent",
     None),
    ("Enrolment amendment: reserve changed from 20% to 40%.", "max_discharge_percent", 60.0),
    ("- What we'd accept for events: 47 c/kWh? no, at least 60 c", "min_compensation_per_kwh",
     0.6),
    ("we pay like 30c/kwh. anyway min i'd take for events is 40c.", "min_compensation_per_kwh",
     0.4),
    ("Batt: 10 kWh\nPanels: 16 @ 400W", "solar_capacity_kw", 6.4),
    ("fed by a 24-panel array of 415 W modules", "solar_capacity_kw", 9.96),
    ("The battery bank is 12 kWh... hang on, that's the nameplate; usable is 10.8.",
     "bess_capacity_kwh", 10.8)])
def test_inverters_departure_cues_changes_and_money(text, field, value):
    got = getattr(parsed(text), field)
    assert got == (pytest.approx(value) if isinstance(value, float) else value)


def test_a_change_is_provenance_corrected():
    config = parsed("Reserve changed from 20% to 40%.")
    assert config.provenance_of("max_discharge_percent") == "corrected"


@pytest.mark.parametrize("text, field, value", [
    ("| question | answer |\n|---|---|\n| solar kW | 5 (no sorry, 5.5) |\n"
     "| need % | 70 (make it 75) |", "solar_capacity_kw", 5.5),
    ("batt is generac pwrcell, 4 modules i think. no wait 3. pv 7.1 kw", "bess_capacity_kwh",
     9.0),
    ("- Home storage: 2x Enphase 5P, plus a 13.5 kWh Powerwall 2... oh wait, the Powerwall went "
     "back, it was faulty", "bess_capacity_kwh", 10.0),
    ("Customer wants battery-only: 2 x LG RESU 16H Prime quoted, customer chose 1 unit.",
     "bess_capacity_kwh", 16.0)])
def test_corrections_of_counts_cells_and_products(text, field, value):
    assert getattr(parsed(text), field) == pytest.approx(value)


def test_none_yet_after_a_future_asset_is_absence():
    assert parsed("panels coming next month (7kw), none yet. battery aPower.").has_solar is False


@pytest.mark.parametrize("text, field, value", [
    ("The Lightning is the standard range version; it has to be at 100% by 4:30 am.",
     "ev_battery_capacity_kwh", 98.0),
    ("We lose power in lightning storms; 10 kWh battery.", "has_ev", None),
    ("2023 Chevrolet Bolt EV; leaves 6:00 AM; charge to 90%.", "ev_min_departure_soc_percent",
     90.0),
    ("Battery: 13.5 kWh. Reserve set to 20%.", "max_discharge_percent", 80.0),
    ("EV: 2020 Chevrolet Bolt, departs 7:15 AM, 80% target. Willing to participate in about "
     "two-thirds of events.", "participation_willingness", 0.6667)])
def test_family_names_targets_and_reserves_in_prose(text, field, value):
    got = getattr(parsed(text), field)
    assert got == (pytest.approx(value, abs=0.001) if isinstance(value, float) else value)


def test_a_comma_separated_shorthand_reads_each_item():
    config = parsed("battery 13.5kWh, max 5kW, soc 40%, solar 8kW, ev leaf 40kWh 6.6kW, leave 7:30, "
                    "need 80%, min 0.15/kWh, 3h backup, willing 0.5, profile moderate, ev priority "
                    "high")
    assert (config.bess_initial_soc_percent, config.ev_min_departure_soc_percent,
            config.min_compensation_per_kwh, config.participation_willingness) == (
        40.0, 80.0, 0.15, 0.5)


def test_a_long_form_label_mid_line():
    assert parsed("The battery is 10 kWh. Depth of discharge allowed for the aggregator: 75%."
                  ).max_discharge_percent == 75.0


@pytest.mark.parametrize("text, field, value", [
    ("- battery: Powerwall 2\n- let aggregator discharge to: 20%", "max_discharge_percent", 80.0),
    ("battery: apower x1 / soc: 90% / solar: 6kw / ev: none", "solar_capacity_kw", 6.0),
    ("The EV is a 2022 Chevrolet Bolt EV; it needs to be at 80% when it leaves.",
     "ev_min_departure_soc_percent", 80.0),
    ("We're balanced about participation. About 2/3 of events would be fine.",
     "participation_willingness", 0.6667)])
def test_floors_slash_separated_items_departure_cues_and_fractions(text, field, value):
    assert getattr(parsed(text), field) == pytest.approx(value, abs=0.001)


@pytest.mark.parametrize("text", ["Our EV leaves at 7.30am.", "Our EV leaves at 07h30.",
                                  "Our EV leaves at seven thirty in the morning.",
                                  "Our EV leaves at half seven."])
def test_clock_times_with_other_separators(text):
    assert parsed(text).ev_charge_deadline == "07:30"


def test_a_share_written_as_a_fraction_is_a_percentage_not_a_date():
    assert parsed("Battery is 10 kWh, charged to about 3/4 right now.").bess_initial_soc_percent \
        == 75.0
    assert parsed("Site visit 14/03. Battery 10 kWh.").bess_initial_soc_percent is None


@pytest.mark.parametrize("text, depth", [
    ("Keep at least 4 kWh in the battery at all times. Battery 13.5 kWh.", 70.37),
    ("We want a reserve of 5 kWh for outages on our 10 kWh battery.", 50.0),
    ("Battery (kWh): 10\nReserve (kWh): 4", 60.0)])
def test_a_reserve_in_kwh_is_read_against_the_battery(text, depth):
    config = parsed(text)
    assert config.max_discharge_percent == pytest.approx(depth, abs=0.01)
    assert config.bess_capacity_kwh in (10.0, 13.5)


def test_a_reserve_in_kwh_without_a_capacity_is_not_guessed():
    config = parsed("Keep 2 kWh in reserve.")
    assert (config.max_discharge_percent, config.bess_capacity_kwh) == (None, None)
    assert "max_discharge_percent" in config.unsure


@pytest.mark.parametrize("text, field, value", [
    ("We'll join events three times out of four.", "participation_willingness", 0.75),
    ("We're flexible on when the EV charges, as long as it's full by morning.", "ev_priority",
     "low"),
    ("| Setting | Value |\n|---|---|\n| Min $/kWh | 0.045 |", "min_compensation_per_kwh", 0.045),
    ("Backup (h): 6", "backup_power_hours", 6.0)])
def test_units_named_in_a_label_and_more_preference_phrases(text, field, value):
    got = getattr(parsed(text), field)
    assert got == (pytest.approx(value) if isinstance(value, float) else value)


@pytest.mark.parametrize("text, field, value", [
    ('{"battery_kwh": 13.5, "pv_kw": 7.2, "ev": "Nissan Leaf", "target_pct": 80}',
     "solar_capacity_kw", 7.2),
    ("battery:\n  model: Tesla Powerwall 3\n  count: 2\nsolar:\n  size_kw: 9.9",
     "solar_capacity_kw", 9.9),
    ("STORAGE=PW2x2 | PV=8.1kW | EV=NONE | PAY>=0.22/kWh", "bess_capacity_kwh", 27.0),
    ("STORAGE=PW2x2 | PV=8.1kW | EV=NONE | PAY>=0.22/kWh", "min_compensation_per_kwh", 0.22),
    ("Participant has: Battery (Powerwall 2) ✓, Solar ✓ 7 kW, EV ✗.", "has_ev", False),
    ("☑ Battery  ☐ Solar  ☑ EV (Model 3 Long Range)", "has_solar", False),
    ("EV (Tesla Model Y LR) charges from 22:00; needs 90% by 06:00.", "ev_charge_deadline",
     "06:00")])
def test_json_nested_and_checkbox_forms(text, field, value):
    got = getattr(parsed(text), field)
    assert got == (pytest.approx(value) if isinstance(value, float) else value)


@pytest.mark.parametrize("text, field, value", [
    ("EV: '21 Bolt", "ev_battery_capacity_kwh", 66.0),
    ("EV: MY2022 Bolt EUV", "ev_battery_capacity_kwh", 65.0),
    ("Battery: Tesla Powerwall II", "bess_max_power_kw", 5.0),
    ("Powerwall 2 + Powerwall 2", "bess_max_power_kw", 10.0)])
def test_model_years_and_generations_written_other_ways(text, field, value):
    assert getattr(parsed(text), field) == pytest.approx(value)


def test_a_plug_in_hybrid_alone_settles_nothing_but_saying_none_does():
    config = parsed("We drive a Toyota Prius Prime (plug-in hybrid). Solar 6 kW.")
    assert (config.has_ev, config.ev_count) == (None, None)
    config = parsed("EVs: none (plug-in hybrid only). Solar 6 kW.")
    assert (config.has_ev, config.ev_count) == (False, 0)


@pytest.mark.parametrize("text, field, value", [
    ("sooo we got solar last yr (6.6kw) and a pw3 in march", "solar_capacity_kw", 6.6),
    ("sooo we got solar last yr (6.6kw) and a pw3 in march", "bess_max_power_kw", 11.5),
    ("tesla model y lr, i leave 7:45ish, need like 80.", "ev_min_departure_soc_percent", 80.0),
    ("It's a Hyundai Ioniq 5 with the 77.4 kWh battery.", "ev_battery_capacity_kwh", 77.4),
    ("EV: yes, 2 (Model Y LR, Model 3 LR), depart 07:10, min 70%.", "ev_charge_deadline",
     "07:10"),
    ("We have a 12 kWh battery and can give the aggregator up to 8 kWh of it.",
     "max_discharge_percent", 66.67)])
def test_parenthesised_figures_a_cars_battery_and_values_for_every_car(text, field, value):
    got = getattr(parsed(text), field)
    assert got == (pytest.approx(value) if isinstance(value, float) else value)


def test_a_value_attached_to_one_of_two_cars_is_not_shared():
    config = parsed("2 EVs, a Model 3 LR (daily, leaves 07:30) and a 2019 Bolt (weekend car).")
    assert (config.ev_count, config.ev_charge_deadline) == (2, None)


@pytest.mark.parametrize("text, field, value", [
    ("Our garage is EV-ready and the roof is solar-ready. Battery: 10 kWh.", "has_solar", None),
    ("We had solar at our old house; here we have none.", "has_solar", False),
    ("The battery is nearly empty right now (about 10%).", "bess_initial_soc_percent", 10.0),
    ("EV should be at least 3/4 full by 6:30.", "ev_min_departure_soc_percent", 75.0)])
def test_ready_wiring_absence_after_the_past_and_parenthesised_percentages(text, field, value):
    assert getattr(parsed(text), field) == value


@pytest.mark.parametrize("text, kwh", [
    ("Usage: 25 kWh/day. Battery: Powerwall 2.", 13.5),
    ("We use about 30 kWh a day. Our battery is 13.5 kWh.", 13.5),
    ("Our solar produces around 40 kWh per day in summer. Panels: 8 kW.", None),
    ("Annual consumption 9,000 kWh; PV 7 kW; no battery.", None)])
def test_energy_per_day_or_year_is_never_a_capacity(text, kwh):
    assert parsed(text).bess_capacity_kwh == kwh


def test_an_ev_energy_use_per_distance_is_not_its_pack():
    assert parsed("The EV uses about 15 kWh per 100 km. It's a Leaf.").ev_battery_capacity_kwh \
        == 40.0


@pytest.mark.parametrize("text, field, value", [
    ("The solar array is 5 kW but the inverter is 3.8 kW.", "solar_capacity_kw", 5.0),
    ("The solar array is 5 kW but the inverter is 3.8 kW.", "bess_max_power_kw", None),
    ("Battery peak 10 kW, continuous 5 kW, 13.5 kWh.", "bess_max_power_kw", 5.0),
    ("Powerwall 3 (13.5 kWh, 11.5 kW), set to 5 kW by the installer.", "bess_max_power_kw", 5.0),
    ("EV: Leaf, 6.6 kW onboard charger but our wallbox is 3.6 kW.", "ev_max_charge_power_kw",
     3.6),
    ("Battery: 15 kWh nominal (14.2 usable).", "bess_capacity_kwh", 14.2)])
def test_caps_and_continuous_ratings_beat_peaks_and_onboard_chargers(text, field, value):
    assert getattr(parsed(text), field) == value


def test_a_long_sentence_with_a_colon_is_prose_not_a_form_item():
    config = parsed("Tech-savvy family in it for the money: 13.5 kWh battery, two Tesla Model 3 "
                    "Long Range cars, both leave at 7:30 and need 80% by then")
    assert (config.bess_capacity_kwh, config.ev_min_departure_soc_percent,
            config.min_compensation_per_kwh) == (13.5, 80.0, None)
