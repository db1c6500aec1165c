"""The verdicts ``detente run`` prints, each computed by the cheapest exact computation that
decides it, at any values of the parameters (docs/model.md, "Tipping points, sweeps and
comparisons").

- ``deal`` and ``first-stage``: one DP solve of the Nash deal (no enforceable benchmark, no
  frontier): whether a self-enforcing deal exists, and its first stage as a set of move ids;
- ``proposal:ID``: the audit of the proposal alone (is it a self-enforcing deal?);
- ``opening`` and ``path:THETA/T`` (protocol "offers"): the offers game at the posterior, as
  ``detente run`` solves it: the first offer of the proposer's most likely type, and whether
  the path of each (proposer type, responder type) ends in a deal.

Tipping points and sweeps call these at thousands of points; they are pure functions of the
scenario and the values, so any worker computes the same answer.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from detente.analysis import explain
from detente.analysis.audit import audit_proposal
from detente.analysis.offers import NO_TYPE, OfferSetup, setups
from detente.analysis.types import beliefs_at
from detente.errors import ScenarioError, SolverLimitError
from detente.model.game import Game, compile_game
from detente.model.offers import equilibrium_path
from detente.scenario.model import PartyType, Scenario
from detente.scenario.resolve import resolve
from detente.solvers.dp import Plan, solve_game

NASH = "nash"  # deal, first-stage
PROPOSALS = "proposals"  # proposal:ID
OFFERS = "offers"  # opening, path:THETA/T

Value = Hashable  # a verdict's value: a bool, a tuple of move ids, a schedule, or None


def at_values(base: Scenario, values: Mapping[str, float], full: bool) -> Scenario:
    """``base`` resolved again with ``values`` for its parameters (the others as they are);
    ``full`` also resolves types, events and signals (the offers game needs them)."""
    if base.spec is None:
        raise ScenarioError(base.origin, "parameters", "a scenario built in memory cannot be solved at other values; load it from a file")
    params = {**base.parameters, **values}
    return resolve(base.spec, base.origin, params, content_hash=base.content_hash, game_only=not full)


def nash_plan(sc: Scenario, g: Game) -> Plan | None:
    """The Nash deal's plan: the DP alone, one thread (callers run many in parallel)."""
    try:
        return solve_game(g, sc.solver.max_transitions, workers=1, keep_frontier=False).best
    except SolverLimitError as exc:
        raise SolverLimitError(f"{sc.origin}: solver: {exc}") from None


def proposer_main(built: list[OfferSetup]) -> int:
    """The proposer's most likely type (ties: the first in file order)."""
    return max(range(len(built)), key=lambda i: (built[i].probability, -i))


def path_key(setup: OfferSetup, i: int) -> str:
    theta = NO_TYPE if setup.proposer_type is None else setup.proposer_type.id
    return f"path:{theta}/{setup.game.types[i]}"


def opening(setup: OfferSetup) -> tuple[tuple[str, ...], ...] | None:
    """The first offer under the proposer's belief (None: it lets the first meeting pass)."""
    root = setup.solution.nodes[(1, setup.game.all)]
    if root.offer is None:
        return None
    base = setup.worlds[0]
    return tuple(tuple(base.ids(stage)) for stage in setup.candidates[root.offer])


@dataclass(frozen=True)
class Point:
    """The verdicts of the requested groups at one point (``sc`` resolved there)."""

    verdicts: dict[str, Value]
    plan: Plan | None = None
    game: Game | None = None
    offers: list[OfferSetup] | None = None


def evaluate(sc: Scenario, groups: frozenset[str] | set[str]) -> Point:
    """Every verdict of ``groups`` for the resolved scenario ``sc``."""
    out: dict[str, Value] = {}
    g = compile_game(sc)
    plan = None
    if NASH in groups:
        plan = nash_plan(sc, g)
        out["deal"] = plan is not None
        out["first-stage"] = None if plan is None else tuple(g.ids(plan.stages[0]))
    if PROPOSALS in groups:
        for p in sc.proposals:
            out[f"proposal:{p.id}"] = audit_proposal(sc, p.id, g).self_enforcing_deal
    built = None
    if OFFERS in groups and sc.bargaining.protocol == "offers":
        built = setups(sc, "posterior")
        out["opening"] = opening(built[proposer_main(built)])
        for setup in built:
            for i in range(setup.game.n_types):
                out[path_key(setup, i)] = equilibrium_path(setup.solution, setup.game.types[i]).deal is not None
    return Point(out, plan, g, built)


def offers_fixed(sc: Scenario) -> set[str]:
    """The parameters that every world of the offers game sets through the types (docs/model.md,
    "Offers": a world is the scenario under both sides' types' overrides): the offers verdicts
    cannot depend on them."""
    if sc.bargaining.protocol != "offers" or len(sc.parties) != 2 or sc.bargaining.proposer is None:
        return set()
    pid = sc.bargaining.proposer
    rid = next(p.id for p in sc.parties if p.id != pid)
    p_types: list[PartyType | None] = list(sc.types_of(pid)) or [None]
    r_types: list[PartyType | None] = list(sc.types_of(rid)) or [None]
    fixed: set[str] | None = None
    for theta in p_types:
        for t in r_types:
            names = set(theta.overrides if theta is not None else {}) | set(t.overrides if t is not None else {})
            fixed = names if fixed is None else fixed & names
    return fixed or set()


class Describe:
    """Verdicts in words, with the scenario's names and labels."""

    def __init__(self, sc: Scenario) -> None:
        self.sc = sc
        self.words = explain.Words(sc)
        self.proposals = {p.id: p.label or p.id for p in sc.proposals}
        self.proposer = sc.bargaining.proposer
        self.responder = next((p.id for p in sc.parties if p.id != self.proposer), None)
        self.main_type = NO_TYPE  # the proposer's most likely type, whose opening is the verdict
        types = sc.types_of(self.proposer or "")
        if sc.bargaining.protocol == "offers" and types:
            belief = beliefs_at(sc, "posterior").get(self.proposer or "", {})
            best = max(range(len(types)), key=lambda i: (belief.get(types[i].id, 0.0), -i))
            self.main_type = types[best].id

    def question(self, key: str) -> str:
        """What the verdict is about."""
        if key == "deal":
            return "a self-enforcing deal exists"
        if key == "first-stage":
            return "the first stage of the deal"
        if key.startswith("proposal:"):
            return f"{self.proposals.get(key[9:], key[9:])} is a self-enforcing deal"
        if key == "opening":
            return f"{self._proposer(self.main_type)}'s opening offer"
        theta, t = key[5:].split("/", 1)
        return f"{self._proposer(theta)} strikes a deal against {self._responder(t)}"

    def value(self, key: str, value: Value) -> str:
        """The verdict's value in words."""
        w = self.words
        if key == "deal":
            return "a self-enforcing deal exists" if value else "no self-enforcing deal"
        if key == "first-stage":
            if value is None:
                return "no deal, so no first stage"
            assert isinstance(value, tuple)
            return "the deal starts with " + explain.schedule_words(w, [list(value)])
        if key.startswith("proposal:"):
            name = self.proposals.get(key[9:], key[9:])
            return f"{name} is a self-enforcing deal" if value else f"{name} fails"
        if key == "opening":
            who = self._proposer(self.main_type)
            if value is None:
                return f"{who} makes no opening offer"
            assert isinstance(value, tuple)
            return f"{who} opens with " + explain.schedule_words(w, [list(s) for s in value])
        theta, t = key[5:].split("/", 1)
        deal = "strikes a deal" if value else "strikes no deal"
        return f"{self._proposer(theta)} {deal} against {self._responder(t)}"

    def _proposer(self, theta: str) -> str:
        who = self.words.party(self.proposer or "")
        return who if theta == NO_TYPE else f"{who} as {theta}"

    def _responder(self, t: str) -> str:
        who = self.words.party(self.responder or "")
        return who if t == NO_TYPE else f"the {t} {who}"
