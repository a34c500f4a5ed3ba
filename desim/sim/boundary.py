"""A decision instant's setpoints: fleet state and signals in, setpoints out.

`decide` is a pure function: it reads the EV and battery state arrays, the
signals and the run's rules, and returns new arrays; it changes nothing, logs
nothing and needs no SimPy, so a test can call it on any state. The engine
brings the fleet up to the instant, calls it, and hands the result to the
components that apply it (`desim.sim.evfleet.EvFleet.apply`,
`desim.sim.batteries.BatteryFleet.apply`) and to the aggregator that logs offers
and awards. The rules themselves are in docs/semantics.md.
"""

from __future__ import annotations

import numpy as np
from attrs import define, evolve, frozen

from desim.sim import decisionkernels as dk
from desim.sim import dispatch as dsp
from desim.sim import guard, kernels
from desim.sim import tolerances as tol
from desim.sim.policies import Signals

__all__ = ["Rules", "ActiveEvent", "Setpoints", "decide", "ev_floor_kw", "cut_to_limit"]


@frozen
class Rules:
    """What every decision of a run obeys."""

    ev_policy: object
    bess_policy: object
    departure_guard: bool = True
    site_limit_kw: float = np.inf
    allocation: str = "pro_rata"

    @property
    def guarded(self) -> bool:
        """Whether the departure guard applies (asked for and the policy guards)."""
        return bool(self.departure_guard and getattr(self.ev_policy, "guards_departure", False))

    @property
    def honours_limit(self) -> bool:
        return bool(getattr(self.ev_policy, "honours_site_limit", False))

    @property
    def static_ev_policy(self) -> bool:
        """Whether the EV policy's setpoints outside dispatch events never depend on the
        signals (``static``, or ``static_without_limit`` in a run without a site limit)."""
        return bool(getattr(self.ev_policy, "static", False)
                    or (getattr(self.ev_policy, "static_without_limit", False)
                        and not np.isfinite(self.site_limit_kw)))


@frozen
class ActiveEvent:
    """The dispatch event in force at a decision instant, as a decision sees it."""

    direction: int              # -1 discharge / reduce load, +1 absorb
    target_kw: float
    end_h: float
    accepted: np.ndarray        # bool per prosumer: the homes taking part
    shadow_soc: np.ndarray      # per EV: SOC had the event not moved it (`EvFleet.shadow_soc`)


@define
class Setpoints:
    """What `decide` returns: every battery's power, and every EV's when EVs are
    re-decided (``ev_kw`` None: each EV keeps its power). Fresh arrays, owned by the
    caller (not frozen: built at every decision, and a frozen class costs about
    three times as much to build)."""

    bess_kw: np.ndarray                  # power each battery holds (kW, load convention)
    bess_base_kw: np.ndarray | None = None   # its policy's setpoint with no event
    bess_award_kw: np.ndarray | None = None  # its share of the award (kW, >= 0)
    ev_kw: np.ndarray | None = None      # power each EV holds (0 at its target or floor)
    ev_setpoint_kw: np.ndarray | None = None  # the setpoint after the floor and site limit
    ev_requested_kw: np.ndarray | None = None  # baseline plus award, within the charger
    ev_raised_kw: np.ndarray | None = None   # requested, raised to the guard floor
    ev_base_kw: np.ndarray | None = None     # its policy's setpoint with no event
    ev_floor_kw: np.ndarray | None = None    # the guard floor (-inf: not guarded)
    ev_award_kw: np.ndarray | None = None    # its share of the award (kW, >= 0)
    home_offer_kw: np.ndarray | None = None  # per prosumer, during an event
    home_award_kw: np.ndarray | None = None

    def ev_delta_kw(self, plugged, direction: int) -> np.ndarray:
        """Each EV's move against its baseline, in the event's direction (kW)."""
        out = np.empty(len(self.ev_kw))
        dk.ev_delta_kw(self.ev_kw, self.ev_base_kw, plugged, direction, out)
        return out

    def bess_delta_kw(self, direction: int) -> np.ndarray:
        """Each battery's move against its baseline, in the event's direction (kW)."""
        return direction * (self.bess_kw - self.bess_base_kw)


def decide(fleet, ev, bess, sig: Signals, rules: Rules, event: ActiveEvent | None = None,
           evs_hold: bool = False) -> Setpoints:
    """Setpoints at the instant ``sig.t_h`` for the state `ev`, `bess` (both current at it).

    Parameters
    ----------
    fleet : desim.fleet.table.FleetTable
        The homes' preferences (offers, acceptance floors, asking prices).
    ev, bess : desim.sim.state.EvState, desim.sim.state.BessState
        The state at ``sig.t_h``; not changed.
    sig : Signals
        What the policies may know now. When only batteries are decided outside an
        event by a policy with ``limited_setpoints`` (the quiet case), only
        ``sig.home_net_load_kw`` is read.
    rules : Rules
        The run's policies, guard, site limit and allocation rule.
    event : ActiveEvent, optional
        The dispatch event in force, if any.
    evs_hold : bool
        EVs keep their power (a static EV policy outside events): only batteries are
        decided.
    """
    if event is None and evs_hold and hasattr(rules.bess_policy, "limited_setpoints"):
        # the quiet case: self-consumption within limits, one compiled pass
        pb = np.empty(bess.n)
        if bess.n:
            rules.bess_policy.limited_setpoints(bess, sig.home_net_load_kw, pb)
        return Setpoints(bess_kw=pb)
    direction = event.direction if event is not None else 0
    base_b = (np.asarray(rules.bess_policy.setpoints(bess, sig), dtype=float) if bess.n
              else np.zeros(0))
    if event is not None and bess.n:
        # the baseline the battery would really hold: nothing past its limits
        base_b = base_b.copy()
        kernels.battery_limits(base_b, bess.soc, bess.min_soc, bess.max_soc, bess.max_charge_kw,
                               bess.max_discharge_kw)
    ev_part = ev.n and not evs_hold
    if ev_part:
        floor = ev_floor_kw(ev, sig.t_h, sig.dt_h, rules)
        sig = evolve(sig, ev_floor_kw=(np.where(np.isfinite(floor), floor, 0.0) if rules.guarded
                                       else np.zeros(ev.n)))
        base_ev = _ev_baseline(ev, sig, rules, event)
    else:
        floor = base_ev = np.zeros(0)
    offer = award = None
    ev_award, bess_award = np.zeros(ev.n), np.zeros(bess.n)
    if event is not None:
        offer, award, ev_award, bess_award = _allocate(fleet, ev, bess, base_b, base_ev, sig.t_h,
                                                       rules, event)
    pb = base_b + direction * bess_award if event is not None else base_b.copy()
    if bess.n:
        kernels.battery_limits(pb, bess.soc, bess.min_soc, bess.max_soc, bess.max_charge_kw,
                               bess.max_discharge_kw)
    if not ev_part:
        return Setpoints(bess_kw=pb, bess_base_kw=base_b, bess_award_kw=bess_award,
                         ev_award_kw=ev_award, home_offer_kw=offer, home_award_kw=award)
    requested, raised = np.empty(ev.n), np.empty(ev.n)
    dk.ev_requests_kw(base_ev, ev_award, direction, ev.v2g_max_kw, ev.max_charge_kw, floor,
                      requested, raised)
    p = raised
    limit = rules.site_limit_kw
    if (np.isfinite(limit) and rules.honours_limit
            and np.maximum(p, 0.0).sum() > limit + tol.LIMIT_TOL_KW):
        # an absorb award beyond the limit: cut the parts above the floors, latest
        # departure first (the floors themselves fit: see docs/semantics.md)
        p = cut_to_limit(p, floor, limit, ev.departure_h)
    ev_kw = np.empty(ev.n)
    dk.ev_moving_kw(p, ev.plugged, ev.soc, ev.target_soc, ev.v2g_min_soc, ev_kw)
    return Setpoints(bess_kw=pb, bess_base_kw=base_b, bess_award_kw=bess_award,
                     ev_kw=ev_kw, ev_setpoint_kw=p, ev_requested_kw=requested,
                     ev_raised_kw=raised, ev_base_kw=base_ev, ev_floor_kw=floor,
                     ev_award_kw=ev_award, home_offer_kw=offer, home_award_kw=award)


def ev_floor_kw(ev, t_h: float, dt_h: float, rules: Rules) -> np.ndarray:
    """The guard floor of every EV at `t_h` over the next `dt_h` (kW; -inf where the
    guard does not apply: `guard.floor_kw`)."""
    if not rules.guarded:
        return np.full(ev.n, -np.inf)
    c = guard.recharge_kw(ev.max_charge_kw, ev.reservation_kw, rules.site_limit_kw)
    f = guard.floor_kw(ev.needed_kwh(), ev.departure_h - t_h, dt_h, c, ev.max_charge_kw,
                       ev.charge_efficiency, ev.v2g_max_kw)
    return np.where(ev.plugged & ev.guaranteed, f, -np.inf)


def _ev_baseline(ev, sig, rules: Rules, event: ActiveEvent | None) -> np.ndarray:
    """What each EV would draw now with no event: its policy's setpoint while plugged
    and short of its target, within its charger. During an event the policy sees each
    EV's shadow SOC (where it would be had the event not moved it), so a deferred or
    discharged EV does not count its catch-up as baseline."""
    seen = ev.with_soc(event.shadow_soc) if event is not None else ev
    p = np.asarray(rules.ev_policy.setpoints(seen, sig), dtype=float)
    out = np.empty(ev.n)
    dk.ev_baseline_kw(p if p.shape == out.shape else np.broadcast_to(p, out.shape), seen.plugged,
                      seen.soc, seen.target_soc, seen.max_charge_kw, out)
    return out


def _allocate(fleet, ev, bess, base_b, base_ev, t_h, rules: Rules, event: ActiveEvent):
    """Offers and awards for the rest of the event (re-run at every decision inside it,
    so a participant that drops out has its share re-allocated among the others).
    Returns the offers and awards per home and each EV's and battery's award (kW)."""
    window_h = max(event.end_h - t_h, tol.MIN_WINDOW_H)
    direction = event.direction
    n = fleet.n_prosumers
    offer_ev = dsp.ev_offers_kw(ev, fleet, base_ev, t_h, window_h, direction, rules.guarded,
                                guard.recharge_kw(ev.max_charge_kw, ev.reservation_kw,
                                                  rules.site_limit_kw))
    limit = rules.site_limit_kw
    if direction > 0 and np.isfinite(limit) and rules.honours_limit:
        # absorb: no more than the headroom the site limit leaves
        room = max(0.0, limit - float(base_ev.sum()))
        total = float(offer_ev.sum())
        if total > room:
            offer_ev = offer_ev * (room / total)
    if getattr(rules.bess_policy, "follows_dispatch", False):
        offer_b = dsp.bess_offers_kw(bess, fleet, base_b, window_h, direction)
    else:
        offer_b = np.zeros(bess.n)
    offer_ev = np.asarray(offer_ev, dtype=float)
    offer_b = np.asarray(offer_b, dtype=float)
    per_home = np.empty(n)
    dk.home_offers_kw(ev.prosumer_index, offer_ev, bess.prosumer_index, offer_b,
                      event.accepted, per_home)
    award = dsp.allocate(per_home, event.target_kw, rules.allocation,
                         fleet.min_compensation_per_kwh)
    ev_award, bess_award = np.empty(ev.n), np.empty(bess.n)
    dk.award_parts_kw(award, per_home, ev.prosumer_index, offer_ev, bess.prosumer_index, offer_b,
                      ev_award, bess_award)
    return per_home, award, ev_award, bess_award


def cut_to_limit(p, floor, limit, departure_h):
    """`p` with the EVs' charging cut to `limit` (kW): the parts above the floors, latest
    departure first (ties: the highest index first)."""
    lo = np.maximum(np.where(np.isfinite(floor), floor, 0.0), 0.0)
    above = np.maximum(p - lo, 0.0) * (p > 0)
    excess = np.maximum(p, 0.0).sum() - limit
    order = np.lexsort((-np.arange(len(p)), -departure_h))
    cum = np.cumsum(above[order])
    cut = np.clip(excess - (cum - above[order]), 0.0, above[order])
    out = p.copy()
    out[order] -= cut
    return out
