"""Typed results shared by the Python API, the CLI's ``--json`` and the web views.

Every field a user sees in JSON is declared here, the multi-actor forecast's results included,
so the output format is one place to read (docs/reference/json.md documents it).
"""

from __future__ import annotations

import datetime
import math
from typing import TYPE_CHECKING, Literal

from pydantic import Field, computed_field

from detente.notebook import Result

if TYPE_CHECKING:
    import pandas as pd


# ---- the multi-actor forecast (docs/model.md, "The multi-actor forecast"): what a forecast
# returns, turn by turn. Positions are on the model's 0-1 scale (KTAB prints them times 100).
# Turn t leads from state t to state t+1; state 0 is the input.


class Challenge(Result):
    """One actor's challenge in a turn, as the initiator sees it (steps 6-8)."""

    initiator: int
    initiator_name: str
    target: int
    target_name: str
    gain: float = Field(description="expected gain dEU of the challenge to the initiator")
    probability: float = Field(description="P that the initiator prevails, as it estimates")
    initiator_position: list[float] = Field(
        description="the bargain's new position for the initiator"
    )
    target_position: list[float] = Field(description="the bargain's new position for the target")


class QueueChoice(Result):
    """An actor's queue election (step 9): its items, their probabilities and the one taken.

    An item is the initiator of a bargain involving the actor, or None for the status quo.
    """

    actor: int
    actor_name: str
    items: list[int | None]
    probabilities: list[float]
    chosen: int | None
    position: list[float] = Field(description="the actor's position after the turn")


class TurnRecord(Result):
    """One turn: the starting state's risk attitudes, every challenge, every queue election."""

    turn: int
    risk_attitudes: list[float]
    challenges: list[Challenge]
    choices: list[QueueChoice]
    fractional_change: float = Field(description="movement of this turn / (turn 0's + 1e-4)")


class ActorMove(Result):
    """Why an actor moved: its largest move in one turn, and the bargain behind it."""

    actor: str
    turn: int | None = Field(description="the turn of its largest move (None: it never moved)")
    moved: float = Field(description="that move's length, on the 0-100 scale")
    total: float = Field(description="from its input position to its final one, 0-100 scale")
    sentence: str


class ForecastResult(Result):
    """A whole SMP run on one scenario."""

    scenario: str
    description: str
    actors: list[str]
    dimensions: list[str]
    turns_run: int = Field(description="number of turns T; there are T+1 states")
    converged: bool = Field(description="stopped by the fractional-change rule, not max_turns")
    positions: list[list[list[float]]] = Field(description="[state][actor][dimension], 0-1 scale")
    fractional_changes: list[float] = Field(description="one per turn")
    winning_probabilities: list[list[float]] = Field(description="[state][actor]")
    risk_attitudes: list[list[float]] = Field(description="[state][actor]")
    turns: list[TurnRecord]
    why: list[ActorMove] = Field(default_factory=list, description="per actor: its largest move, in words")

    def final_positions(self) -> list[list[float]]:
        """Each actor's position in the last state."""
        return self.positions[-1]


class Spread(Result):
    """A quantity's distribution over the draws: mean, standard deviation, percentiles."""

    mean: float
    sd: float
    p5: float
    p50: float
    p95: float


class PositionSpread(Result):
    """An actor's final position on one dimension over the draws (0-100 scale)."""

    actor: str = Field(description="the actor's id")
    actor_name: str
    dimension: str = Field(description="the dimension's id")
    start: float = Field(description="the input's position (0-100)")
    final: Spread


class OutcomeSpread(Result):
    """The capability-weighted mean of the final positions on one dimension, over the draws."""

    dimension: str
    dimension_name: str
    start: float = Field(description="the input's capability-weighted mean position (0-100)")
    final: Spread
    mean_low: float = Field(description="95% confidence interval of the mean (Monte Carlo error)")
    mean_high: float


class ActorStays(Result):
    """How far an actor ends from where its draw started (Euclidean over the dimensions, 0-100)."""

    actor: str
    actor_name: str
    within: float = Field(description="X: the distance counted as staying")
    p_within: float = Field(description="share of draws in which it ends within X of its start")
    p_low: float = Field(description="Wilson 95% interval of that share")
    p_high: float
    moved: Spread


class Varied(Result):
    """One uncertain input and its distribution (on the file's scale)."""

    key: str
    distribution: str
    params: dict[str, float]


class ForecastMonteCarloResult(Result):
    """``detente forecast --samples N``: the forecast over N draws of the uncertain inputs
    (and of the queue elections, with the stochastic transition)."""

    scenario: str
    source: str
    content_hash: str
    transition: str = Field(description="deterministic (KTAB's default) or stochastic")
    samples: int
    completed: int
    complete: bool = Field(description="False when interrupted: the summaries cover the completed draws")
    seed: int
    max_turns: int
    varied: list[Varied]
    outcomes: list[OutcomeSpread]
    positions: list[PositionSpread]
    stays: list[ActorStays]
    turns: Spread
    converged_share: float
    executor: str
    workers: int | None
    seconds: float


class BacktestRow(Result):
    """One [[record]] entry against the forecast (positions on 0-100)."""

    date: datetime.date
    actor: str = Field(description="the actor's id")
    actor_name: str
    dimension: str = Field(description="the dimension's id")
    dimension_name: str
    record: float = Field(description="where the actor stood on the date, as coded from the source")
    baseline: float = Field(description="'nobody moves': the actor's input position")
    forecast: float = Field(description="the forecast's final position")
    at_turn: float | None = Field(description="the position after the turn chosen for the date (None: no turn chosen)")
    baseline_error: float = Field(description="|baseline - record|")
    forecast_error: float = Field(description="|forecast - record|")
    at_turn_error: float | None
    source: str
    note: str


class BacktestScore(Result):
    """Mean absolute errors (0-100 points) on one date, for one dimension or all of them."""

    date: datetime.date
    dimension: str | None = Field(description="the dimension's id; None: every dimension together")
    dimension_name: str
    n: int = Field(description="record entries scored")
    baseline_mae: float = Field(description="'nobody moves'")
    forecast_mae: float = Field(description="the forecast's final positions")
    turn: int | None = Field(description="the turn chosen for the date (None: none)")
    at_turn_mae: float | None = Field(description="the positions after that turn")
    gain: float = Field(description="baseline_mae - forecast_mae: positive when the forecast beats 'nobody moves'")
    record_moved: int = Field(description="entries whose record differs from the input position")
    same_direction: int = Field(
        description="of those, the entries the forecast moved the same way (up or down) as the record"
    )


class TurnErrors(Result):
    """A date's mean absolute error over every entry, after each turn (state 0 is the input,
    i.e. the baseline; the last is the forecast's final state)."""

    date: datetime.date
    mae: list[float] = Field(description="one per state 0..T")
    best_turn: int = Field(description="the state with the smallest error (the first, on a tie)")


class ForecastBacktestResult(Result):
    """A forecast held to its [[record]] (docs/model.md, "Validation"; docs/validation.md)."""

    scenario: str = Field(description="the forecast's id")
    title: str
    source: str = Field(description="SOURCE as given (a built-in id or a path)")
    content_hash: str = Field(description="SHA-256 of the source file's bytes")
    turns_run: int
    converged: bool
    calendar: str = Field(description="what the model's turns mean in time (it has no calendar)")
    dates: list[datetime.date]
    scores: list[BacktestScore] = Field(description="per date: each dimension, then all together")
    rows: list[BacktestRow] = Field(description="per date, actor and dimension, in the record's order")
    by_turn: list[TurnErrors]
    summary: str


class DeviationInfo(Result):
    """A deviation of 'Deviations' (docs/model.md): what the party skips, reverses, and what snaps back."""

    skip: list[str] = Field(default_factory=list)
    reverse: list[str] = Field(default_factory=list)
    snapback: list[str] = Field(default_factory=list)


class StageCheck(Result):
    """IC of one party at one stage: comply V_p(k) against the best deviation D_p(k)."""

    stage: int
    party: str
    moves: list[str]
    comply: float
    deviate: float | None
    slack: float | None
    holds: bool
    deviation: DeviationInfo | None = None


class FinalCheck(Result):
    """One check of the final agreement ('The final agreement' (docs/model.md)), overt or covert."""

    party: str
    kind: Literal["overt", "covert"]
    comply: float
    deviate: float | None
    slack: float | None
    holds: bool
    cheat: list[str] = Field(default_factory=list)
    detection: float | None = None
    deviation: DeviationInfo | None = None


class FinalSummary(Result):
    stable: bool
    slack: float | None
    checks: list[FinalCheck]


class CovertPathCheck(Result):
    """Cheating on ``cheat`` from ``stage`` on while the schedule goes on ('The audit' (docs/model.md))."""

    stage: int
    party: str
    cheat: list[str]
    comply: float
    deviate: float
    slack: float
    holds: bool


class PlayStepInfo(Result):
    """One stage of the play of a schedule (docs/model.md, "The play of a schedule")."""

    stage: int  # K + 1: keeping the final agreement
    comply: dict[str, float]  # going on with the schedule, as it will then be played
    deviate: dict[str, float | None]  # the best deviation's value; null where a party has none
    quitters: list[str]
    values: dict[str, float]  # what each party gets from this stage on
    deviations: dict[str, DeviationInfo] = Field(default_factory=dict)  # the quitters' deviations


class PlayInfo(Result):
    """What happens when anyone may quit where quitting pays: who quits first, when, and what
    everyone gets, in one world."""

    ends_at: int | None  # the first stage at which someone quits (K + 1: the final agreement); null: kept to the end
    quitters: list[str]
    values: dict[str, float]
    steps: list[PlayStepInfo]
    sentence: str


class ProfilePlay(Result):
    """The play of a schedule in the world of one profile of types (one type per party)."""

    types: dict[str, str]  # party -> type (parties without types are absent)
    probability: float
    play: PlayInfo


class Failure(Result):
    kind: Literal["invalid", "stage", "final-overt", "final-covert", "path-covert", "no-gain"]
    sentence: str
    stage: int | None = None
    party: str | None = None
    shortfall: float | None = None


class AuditResult(Result):
    """Section 8's audit of one schedule."""

    scenario: str
    proposal: str | None
    schedule: list[list[str]]
    valid: bool
    feasible: bool
    individually_rational: bool
    self_enforcing_deal: bool
    stages: list[StageCheck]
    final: FinalSummary
    covert_path: list[CovertPathCheck]
    covert_path_safe: bool
    values: dict[str, float]
    disagreement: dict[str, float]
    failures: list[Failure]
    reason: str
    play: PlayInfo  # who quits, when, and what everyone gets (under the scenario's numbers)
    screening: ScreeningResult | None = None  # with `audit --types`: what each type does


class SolverStats(Result):
    method: Literal["exact-dp"] = "exact-dp"
    free_moves: int
    max_stage_moves: int
    max_stages: int
    states: int
    transitions: int
    frontier_entries: int
    seconds: float


class Benchmark(Result):
    """The best schedule if promises were enforceable (no IC, no stability): what is lost."""

    schedule: list[list[str]]
    values: dict[str, float]
    failures: list[Failure]


class Binding(Result):
    """One of the tightest constraints of the chosen schedule."""

    where: str
    party: str
    slack: float
    sentence: str


class FrontierPoint(Result):
    """A Pareto-maximal self-enforcing plan from the status quo (a point of the deal frontier)."""

    schedule: list[list[str]]
    values: dict[str, float]
    individually_rational: bool


class SolveResult(Result):
    scenario: str
    deal: bool
    schedule: list[list[str]]
    values: dict[str, float] | None
    disagreement: dict[str, float]
    gains: dict[str, float] | None
    bargaining_power: dict[str, float]
    nash_product: float | None
    no_deal_reversals: list[str]
    explanation: str
    binding: list[Binding]
    audit: AuditResult | None
    if_enforceable: Benchmark | None
    frontier: list[FrontierPoint]
    solver: SolverStats


class ProposalVerdict(Result):
    proposal: str
    label: str
    by: str | None
    audit: AuditResult


class Analysis(Result):
    """What ``detente run`` shows: the status quo, each proposal's verdict, the solver's deal."""

    scenario: str
    title: str
    period: str
    parameters: dict[str, float]
    status_quo: list[str]
    no_deal_reversals: list[str]
    proposals: list[ProposalVerdict]
    solve: SolveResult  # the complete-information benchmark: the Nash deal at the base numbers
    beliefs: dict[str, dict[str, float]] = Field(default_factory=dict)  # with types: after the event timeline
    offers: OffersResult | None = None  # under protocol "offers": the proposer's offers and what refusals teach
    signals: SignalsResult | None = None  # with signals: which are the right ones (at the posterior)
    robust: list[BeliefDeal] = Field(default_factory=list)  # protocol "nash" with types: the deal safe against them, at the prior and the posterior


class OfferMeeting(Result):
    """One meeting on the equilibrium path of the offers protocol (docs/model.md, "Offers")."""

    meeting: int
    period: int  # periods after the first meeting
    belief: dict[str, float]  # the proposer's belief about the responder's type before it
    offer: list[list[str]] | None  # null: the meeting passes with no offer
    refusers: list[str]  # the types the proposer expects to refuse it
    accepted: bool  # whether the true type accepts it
    belief_after: dict[str, float] | None  # the proposer's belief after a refusal; null if accepted
    sentence: str


class OfferPath(Result):
    """The equilibrium path against one true type of the responder."""

    responder_type: str | None  # null: the responder has no types
    probability: float  # the proposer's belief in that type at the start
    meetings: list[OfferMeeting]
    deal: list[list[str]] | None  # the offer accepted; null: no deal
    delay: int | None  # periods until it is accepted
    values: dict[str, float]  # both parties' values, measured at the first meeting
    play: PlayInfo | None  # how the accepted deal is played in that world (who quits, when)
    sentence: str


class ProposalOffer(Result):
    """A schedule on the table judged as the proposer's first offer."""

    proposal: str
    accepted_by: list[str]  # the responder's types that would take it at the first meeting
    optimal_against: list[list[str]]  # the belief sets (prior restricted to them) it is the best first offer against
    best_offer: list[list[str]] | None  # what the proposer offers first instead, under its actual belief
    sentence: str


class BeliefInterval(Result):
    """The proposer's beliefs (the probability of one responder type) under which it makes the
    same first offer as in equilibrium."""

    type: str
    low: float
    high: float


class ProposerOffers(Result):
    """The offers game for one type of the proposer (its type is known to both sides)."""

    proposer_type: str | None
    probability: float
    label: str  # "pure-strategy equilibrium", or how many offers had to be removed
    removed: int  # offers with no pure-strategy response at some meeting, left out there
    opening: list[list[str]] | None  # the first offer under the proposer's belief
    opening_takers: list[str]  # the responder's types that take it
    opening_against: list[BeliefInterval]  # two responder types: the beliefs under which it opens so
    paths: list[OfferPath]
    expected_values: dict[str, float]  # over the responder's types, under the proposer's belief
    disagreement: dict[str, float]  # the same for no deal
    expected_delay: float | None  # periods until a deal, given there is one
    p_deal: float  # the probability of a deal
    proposals: list[ProposalOffer]


class OffersResult(Result):
    """The offers protocol: a proposer's take-it-or-leave-it offers to a responder of unknown
    type, learning from refusals (docs/model.md, "Offers")."""

    scenario: str
    proposer: str
    responder: str
    beliefs_at: str
    beliefs: dict[str, dict[str, float]]
    rounds: int
    round_length: int
    candidates: str  # "solver", "all" or "proposals"
    offers_considered: int
    by_proposer_type: list[ProposerOffers]
    expected_values: dict[str, float]  # over both sides' types
    summary: str


class BeliefStep(Result):
    """Beliefs about the actor's type right after one event (docs/model.md, "Types and beliefs")."""

    event: str
    date: str
    label: str
    source: str
    likelihood: dict[str, float]
    cluster: str | None = None  # the cluster of related events it belongs to, if any
    counted: bool = True  # false: a weaker member of a cluster already counted (it adds nothing)
    log_likelihood_ratio: float | None  # the update's log ratio, first type over second; None if decisive
    posterior: dict[str, float]
    moved: float  # total-variation distance between beliefs before and after


class PartyBeliefs(Result):
    party: str
    types: list[str]
    ratio_of: list[str]  # the two types the log-likelihood ratios compare
    prior: dict[str, float]
    steps: list[BeliefStep]
    final: dict[str, float]
    moved_most: list[str]


class BeliefsResult(Result):
    scenario: str
    parties: list[PartyBeliefs]


class TypeChoice(Result):
    """One type at one stage of a schedule (docs/model.md, "Types and beliefs"): comply, or walk out."""

    stage: int  # K + 1 is the final agreement
    comply: float  # complying now, keeping the option to quit later (W of the next stage)
    deviate: float | None  # the best deviation's value; null when the type has none
    value: float  # the better of the two
    quits: bool
    deviation: DeviationInfo | None = None  # what the overt deviation does
    cheat: list[str] = Field(default_factory=list)  # at the end: the moves a covert cheat stops


class TypeBehaviour(Result):
    """What one type of one party does inside a schedule, and what it is worth to it."""

    party: str
    type: str | None  # null: the party has no types
    probability: float
    enforced: bool  # whether the robust solve requires this type to comply throughout
    value: float  # its value of the schedule when it may quit ('Types and beliefs' (docs/model.md))
    disagreement: float  # its no-deal value
    quits_at: int | None  # the stage it walks out at, if any (K + 1: breaks the final agreement)
    choices: list[TypeChoice]
    sentence: str


class ScreeningResult(Result):
    """Every type's behaviour inside one schedule and each party's expected value."""

    scenario: str
    schedule: list[list[str]]
    beliefs_at: str  # "prior" or "posterior"
    beliefs: dict[str, dict[str, float]]
    tau: float | None  # the robust solve's threshold; null for an audit (no type is required to comply)
    types: list[TypeBehaviour]
    expected_values: dict[str, float]
    expected_disagreement: dict[str, float]
    profiles: list[ProfilePlay] = Field(default_factory=list)  # the play in each profile of types' world


class RobustStats(Result):
    method: Literal["exact-dp-agents"] = "exact-dp-agents"
    agents: int
    transitions: int
    frontier_entries: int
    seconds: float


class RobustSolveResult(Result):
    """The best deal that every type at least ``tau`` likely would go through with."""

    scenario: str
    tau: float
    beliefs_at: str
    beliefs: dict[str, dict[str, float]]
    deal: bool
    schedule: list[list[str]]
    expected_values: dict[str, float] | None
    expected_disagreement: dict[str, float]
    gains: dict[str, float] | None
    screening: ScreeningResult | None
    explanation: str
    solver: RobustStats


class BeliefDeal(Result):
    """The robust deal under one set of beliefs (for ``detente run``)."""

    beliefs_at: str
    beliefs: dict[str, dict[str, float]]
    result: RobustSolveResult


AuditResult.model_rebuild()


class PoolingCheck(Result):
    """Whether the outcome where no type sends the signal survives the Intuitive Criterion
    (Cho and Kreps 1987; docs/model.md, "Signals")."""

    survives: bool
    gains: dict[str, float]  # per type: the most it could gain by sending, over any belief (≤ 0: dominated)
    could_gain: list[str]  # the types for which sending is not equilibrium-dominated
    margins: dict[str, float]  # those types: gain from sending when believed to be one of them
    breaker: str | None  # the type that would break the pooling outcome
    sentence: str


class SignalVerdict(Result):
    """Whether one costly signal separates the sender's good type (docs/model.md, "Signals")."""

    signal: str
    label: str
    sender: str
    kind: Literal["sunk", "tied-hands"]
    good_type: str
    assessed: bool = True  # false: the protocol cannot value this signal (see sentence)
    benefit: dict[str, float]  # per type: value when believed good − value when believed not good
    cost: dict[str, float]
    backs_down: dict[str, bool]  # per type: whether it would quit the deal struck when believed good
    margins: dict[str, float]  # per type: how far its condition holds (> 0) or fails (< 0)
    separates: bool
    deal_if_believed: list[list[str]]  # the deal (nash) or first offer (offers) when believed good
    deal_now: list[list[str]]  # the same when believed not good
    pooling: PoolingCheck | None = None  # when it does not separate: the Intuitive Criterion
    sentence: str


class SignalsResult(Result):
    scenario: str
    protocol: str = "nash"
    tau: float
    beliefs_at: str
    beliefs: dict[str, dict[str, float]]
    signals: list[SignalVerdict]


class Estimate(Result):
    """An estimate with its 95% confidence interval (null bounds when undefined)."""

    estimate: float | None
    low: float | None
    high: float | None


class StrategyStats(Result):
    """One strategy over all simulated histories (docs/model.md, "Summit versus working level")."""

    strategy: str
    working_rounds: int  # before each summit
    histories: int
    p_signed: Estimate  # P(signed by the horizon)
    p_holds_given_signed: Estimate
    periods_to_signature: Estimate  # over signed histories
    summits: float  # mean number of summits held
    expected_values: dict[str, Estimate]  # each party's true discounted value of the history
    defections: dict[str, int]  # who broke the deals that collapsed
    no_deal: dict[str, Estimate] = {}  # share of all histories ending without a deal, by reason
    working_rounds_held: float = 0.0  # mean working-level rounds held per history
    working_refused: dict[str, float] = {}  # mean working-level rounds each party refused per history
    summit_refused: dict[str, float] = {}  # mean summit proposals each party would not sign per history
    signed_by_types: dict[str, Estimate] = {}  # P(signed by T) given the true types ("firm keeper")
    holds_by_types: dict[str, Estimate] = {}  # P(holds | signed) given the true types
    histories_by_types: dict[str, int] = {}
    learnt: dict[str, Estimate] = {}  # by party: its belief in the others' true types, end − start, mean
    signed_by_proposer_type: dict[str, Estimate] = {}  # under "offers": P(signed by T) given the proposer's true type
    histories_by_proposer_type: dict[str, int] = {}


class SimulationResult(Result):
    scenario: str
    content_hash: str
    parameters: dict[str, float]
    samples: int  # histories asked for
    completed: int  # histories simulated (fewer if interrupted)
    complete: bool
    seed: int
    horizon: int
    misperception: float
    working_level_gain: float
    summit_cooldown: int
    summit_gain: float = 1.0
    working_level_refusal: dict[str, float] = {}
    working_level_cost: dict[str, float] = {}
    shock_hazard: float = 0.0
    beliefs: str | None = None  # the types were drawn from the "prior" or the "posterior"; None: no types
    type_beliefs: dict[str, dict[str, float]] = {}  # by party, the belief its true type is drawn from
    proposer: str | None = None  # under protocol "offers", the party that proposes at summits; None: a mediator
    workers: int | None  # worker processes (None: a remote Dask cluster's, counted there)
    executor: str  # "serial", "2 local processes", "Dask LocalCluster of 2 workers", ...
    seconds: float
    strategies: list[StrategyStats]


class VariedParameter(Result):
    """One parameter a sensitivity analysis varies, and its distribution."""

    parameter: str
    distribution: str
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    alpha: float | None = None
    beta: float | None = None
    median: float | None = None
    sigma: float | None = None


class ParameterSensitivity(Result):
    """A parameter's share of a metric's variance (Sobol: S1 alone, ST with its interactions;
    95% confidence half-widths by bootstrap), or its Morris elementary effects (per unit of
    quantile). None where the method does not give it."""

    parameter: str
    s1: float | None = None
    s1_conf: float | None = None
    st: float | None = None
    st_conf: float | None = None
    mu: float | None = None
    mu_star: float | None = None
    mu_star_conf: float | None = None
    sigma: float | None = None


class MetricSensitivity(Result):
    metric: str
    mean: float  # over the design's points
    std: float
    constant: bool  # the metric did not vary: every index is 0
    parameters: list[ParameterSensitivity]  # most influential first


class ForecastSensitivityResult(Result):
    """``detente forecast --sensitivity``: indices of forecast metrics over the uncertain inputs."""

    scenario: str
    source: str
    content_hash: str
    transition: str
    method: str = Field(description="sobol | morris")
    samples: int = Field(description="N: Sobol' base samples or Morris trajectories")
    points: int = Field(description="points evaluated in all: N(d + 2) for Sobol', N(d + 1) for Morris")
    completed: int
    complete: bool = Field(description="an interrupted run has no indices")
    seed: int
    max_turns: int
    varied: list[Varied]
    metrics: list[MetricSensitivity]
    executor: str
    workers: int | None
    seconds: float


class SensitivityResult(Result):
    scenario: str
    content_hash: str
    parameters: dict[str, float]
    method: str  # sobol | morris
    samples: int  # N: base samples (Sobol) or trajectories (Morris)
    points: int  # points evaluated in all: N(d + 2) for Sobol, N(d + 1) for Morris
    completed: int
    complete: bool  # an interrupted run has no indices
    seed: int
    histories: int | None  # per point, for p-signed metrics
    varied: list[VariedParameter]
    metrics: list[MetricSensitivity]
    executor: str
    workers: int | None
    seconds: float


class StageVerdict(Result):
    """detente's verdict on one recorded stage of a case, against the record."""

    stage: int
    moves: list[str]
    recorded: Literal["taken", "refused", "quit"]
    recorded_by: list[str]
    predicted_taken: bool  # nobody quits at this stage in the play (the scenario's numbers)
    predicted_by: list[str]  # who would not go through, by detente
    p_taken: float  # the share of type profiles (posterior) in which nobody quits here; 0 or 1 without types
    agrees: bool  # taken against not taken
    right_party: bool | None  # both say not taken: whether detente names one who did refuse or quit
    sentence: str


class EventForecast(Result):
    """The posterior predictive probability of an event before it happened."""

    event: str
    party: str
    probability: float


class CaseVerdict(Result):
    case: str
    title: str
    outcome: str  # held, collapsed, never struck, went along then refused
    stages: list[StageVerdict]
    agrees: bool  # on every recorded stage
    limits: str  # what the case file says the model cannot express ("LIMITS:" in its description)
    events: list[EventForecast] = Field(default_factory=list)


class ScoreRow(Result):
    """A forecaster's scores over the recorded stages (or events)."""

    forecaster: str
    brier: float
    log_loss: float  # probabilities clipped to [clip, 1 − clip]
    accuracy: float  # the probability on the right side of 0.5
    n: int


class CalibrationBin(Result):
    low: float
    high: float
    n: int
    mean_probability: float | None
    frequency: float | None  # how often the stages of this bin were taken


class BacktestResult(Result):
    """detente held to the record (docs/model.md, "Validation")."""

    cases: list[CaseVerdict]
    confusion: dict[str, dict[str, int]]  # detente's verdict -> the record -> count
    accuracy_by_stage: dict[int, float]  # stage number -> share of cases where detente agrees
    scores: list[ScoreRow]  # detente first, then the baselines
    event_scores: list[ScoreRow]  # the events' predictive probabilities, against a coin
    calibration: list[CalibrationBin]
    base_rate: float  # the share of recorded stages taken, over the bank
    clip: float
    summary: str
    forecasts: list[ForecastBacktestResult] = Field(default_factory=list)  # built-in forecasts against their [[record]]


Analysis.model_rebuild()


class ParameterRange(Result):
    """Where a parameter is searched for tipping points (docs/model.md, "Tipping points, sweeps
    and comparisons"): its domain, an open end replaced by the value ± |value|."""

    parameter: str
    value: float  # its current value
    low: float
    high: float
    basis: str  # how the range was set, in words ("domain [0, 1]", "no domain: [0, 2·value]", ...)
    offers_fixed: bool = False  # every world of the offers game sets it through the types

    def decimals(self, precision: float) -> int:
        """Decimals that show a flip found to ``precision`` × the range."""
        width = self.high - self.low
        if width <= 0:
            return 2
        return int(min(6, max(0, -math.floor(math.log10(precision * width)))))


class VerdictState(Result):
    """One verdict `detente run` prints, and its value at the current parameters."""

    verdict: str  # "deal", "first-stage", "proposal:ID", "opening", "path:THETA/T"
    question: str  # what it is about, in words
    now: str  # its current value, in words


class TippingPoint(Result):
    """The nearest value of one parameter, in one direction, at which one verdict differs."""

    verdict: str
    parameter: str
    direction: Literal["down", "up"]
    value: float  # the parameter's current value
    flip: float | None  # the first value found where the verdict differs; null: none in the range
    change: float | None  # flip − value
    relative: float | None  # change / |value|; null when the value is 0 or there is no flip
    share: float | None  # |change| as a share of the parameter's search range (how close)
    after: str | None  # the verdict just past the flip, in words
    sentence: str


class TippingResult(Result):
    """Every verdict's tipping points over every parameter (``detente tipping``)."""

    scenario: str
    protocol: str
    parameters: list[ParameterRange]
    verdicts: list[VerdictState]
    points: list[TippingPoint]  # every verdict × parameter × direction, in that order
    closest: list[TippingPoint]  # the three nearest distinct flips (by share), with every verdict flipping there
    steps: int  # grid steps across each parameter's search range
    precision: float  # bisection stops within precision × the range's width
    offers: bool  # whether the offers verdicts were searched
    evaluations: int  # points at which verdicts were computed
    notes: list[str]
    executor: str
    workers: int | None
    seconds: float


class SweepAxis(Result):
    """One swept parameter and its values, in the grid's order."""

    parameter: str
    values: list[float]


class SweepDeal(Result):
    """One of the Nash deals found over a sweep, with the letter the table and the map use."""

    letter: str  # "A", "B", ... in order of first appearance; "-" for no deal
    schedule: list[list[str]]
    text: str  # as in the table's "schedule" column: stages split by ';', moves by ','
    words: str  # the schedule in words
    points: int  # how many points of the grid have it


class SweepResult(Result):
    """The verdicts and values at every point of a one- or two-parameter grid (``detente
    sweep``): one row per point, the first parameter varying slowest."""

    scenario: str
    protocol: str
    axes: list[SweepAxis]
    columns: list[str]
    rows: list[dict[str, float | bool | str]]
    deals: list[SweepDeal]
    executor: str
    workers: int | None
    seconds: float

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame (one row per point, the first parameter varying slowest)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)


class ParameterChange(Result):
    """A parameter whose value differs between the two sides of a comparison (null: absent)."""

    parameter: str
    before: float | None  # the baseline's (the `--against` side)
    after: float | None


class CompareSide(Result):
    """One side of ``detente compare``: its deal and verdicts."""

    label: str  # e.g. "hanoi-2019 with leakage=0.7"
    scenario: str
    origin: str
    overrides: dict[str, float]
    deal: bool
    schedule: list[list[str]]
    values: dict[str, float] | None
    gains: dict[str, float] | None
    disagreement: dict[str, float]
    proposals: dict[str, bool]  # proposal id -> self-enforcing deal
    openings: dict[str, list[list[str]] | None] = Field(default_factory=dict)  # offers: proposer type ("-": none) -> first offer


class ConstraintChange(Result):
    """An audit check present on both sides whose slack changed sign (holds ↔ fails)."""

    schedule: str  # "the deal", "the deal of LABEL", "proposal ID" (a schedule audited on both sides)
    kind: Literal["stage", "final-overt", "final-covert", "path-covert"]  # path-covert: reported, not a constraint
    stage: int | None
    party: str
    cheat: list[str] = Field(default_factory=list)  # a covert check: the moves secretly stopped
    slack_before: float | None
    slack_after: float | None
    holds_before: bool
    holds_after: bool
    sentence: str


class ReversalChange(Result):
    """A move whose owner would now undo it, or no longer would (docs/model.md, "Deviations")."""

    move: str
    owner: str
    pays_before: bool
    pays_after: bool
    sentence: str


class AcceptanceChange(Result):
    """Under protocol "offers": the responder's types that left or joined the acceptance set of
    one proposer type's opening."""

    proposer_type: str | None
    opening_before: list[list[str]] | None
    opening_after: list[list[str]] | None
    left: list[str]
    joined: list[str]
    sentence: str


class ProposalChange(Result):
    proposal: str
    before: bool  # self-enforcing deal on the baseline side
    after: bool
    sentence: str


class CompareResult(Result):
    """Why the deal changed between two scenarios or two sets of values (``detente compare``):
    the deals side by side and, in words, which constraints moved."""

    baseline: CompareSide  # the `--against` side
    changed: CompareSide
    parameters: list[ParameterChange]
    same_deal: bool
    stages_added: list[list[str]]  # stages (as sets of moves) of the changed deal not in the baseline's
    stages_removed: list[list[str]]
    constraints: list[ConstraintChange]
    reversals: list[ReversalChange]
    acceptance: list[AcceptanceChange]
    proposals: list[ProposalChange]
    summary: list[str]


# ---- scenarios: the library, sizes, values taken from forecasts


class LibraryEntry(Result):
    """A built-in scenario: bilateral (every analysis) or a multi-actor forecast, with its
    counts as the file states them."""

    id: str
    kind: Literal["bilateral", "forecast"]
    title: str
    moves: int = 0  # bilateral
    proposals: int = 0
    actors: int = 0  # forecast
    dimensions: int = 0


class ScenarioSize(Result):
    """How large a scenario is for the solver (docs/model.md, "The solver"), known before any
    solve: what a server or a batch compares with its bounds."""

    scenario: str
    parties: int
    moves: int
    free_moves: int  # not in effect at the start
    proposals: int
    longest_proposal: int  # stages
    max_stages: int  # solver.max_stages
    max_stage_moves: int  # solver.max_stage_moves
    transitions: int  # an upper bound on the (state, stage) pairs the solver visits


class LinkedValue(Result):
    """A parameter's value taken from a multi-actor forecast (``forecast = {...}`` in
    [parameters]): the capability-weighted final position of the linked actors on a
    dimension, mapped linearly onto the parameter."""

    parameter: str
    value: float  # from the forecast
    written: float  # the scenario's own value
    scenario: str  # the forecast
    dimension: str  # its name
    actors: list[str]
    start: float  # the actors' weighted position at the forecast's start (0-100)
    final: float  # and at its end

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sentence(self) -> str:
        """Where the value comes from, in words."""
        who = " and ".join(self.actors)
        return (
            f"{self.parameter} = {self.value:.3g} from forecast {self.scenario}: on "
            f"{self.dimension}, {who} move from {self.start:.1f} to {self.final:.1f} (0-100, "
            f"capability-weighted), which maps to {self.value:.3g} (the scenario's own value: "
            f"{self.written:.3g})."
        )
