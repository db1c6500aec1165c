"""Bayes updates over the timeline (docs/model.md, "Types and beliefs"), against hand computation."""

from __future__ import annotations

import datetime
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import detente
from detente.beliefs.bayes import trajectory, update
from detente.errors import ScenarioError
from detente.scenario.model import Event
from test_worked_example import WORKED

TYPES = b"""
[[types]]
party = "a"
id = "resolute"
prior = 0.4
[[types]]
party = "a"
id = "pushover"
prior = 0.6

[[events]]
id = "walkout"
date = 2019-02-28
actor = "a"
label = "A walks out"
likelihood = { resolute = 0.7, pushover = 0.2 }
source = "test"

[[events]]
id = "praise"
date = 2019-03-01
actor = "a"
label = "A praises B"
likelihood = { resolute = 0.5, pushover = 0.5 }
source = "test"

[[events]]
id = "earlier"
date = 2018-06-12
actor = "a"
label = "An earlier summit"
likelihood = { resolute = 0.3, pushover = 0.6 }
source = "test"
"""


def _event(lik: dict[str, float], day: int = 1) -> Event:
    return Event("e", datetime.date(2019, 1, day), "a", "e", lik, "s")


def test_one_update_by_hand() -> None:
    post = update({"r": 0.4, "p": 0.6}, {"r": 0.7, "p": 0.2})
    assert post["r"] == pytest.approx(0.28 / 0.40)  # 0.4·0.7 / (0.4·0.7 + 0.6·0.2)
    assert post["p"] == pytest.approx(0.12 / 0.40)


def test_scenario_trajectory_in_date_order() -> None:
    scenario = detente.scenario.load_bytes(WORKED + TYPES, "typed.toml")
    (party,) = detente.beliefs(scenario).parties
    assert [s.event for s in party.steps] == ["earlier", "walkout", "praise"]
    # by hand: after "earlier": 0.4·0.3 = 0.12, 0.6·0.6 = 0.36 → r = 0.25
    assert party.steps[0].posterior["resolute"] == pytest.approx(0.25)
    # after "walkout": 0.25·0.7 = 0.175, 0.75·0.2 = 0.15 → r = 0.175/0.325
    assert party.steps[1].posterior["resolute"] == pytest.approx(0.175 / 0.325)
    assert party.steps[1].log_likelihood_ratio == pytest.approx(math.log(0.7 / 0.2))
    # an uninformative event moves nothing
    assert party.steps[2].moved == pytest.approx(0.0)
    assert party.final == party.steps[2].posterior
    assert party.moved_most[0] == "walkout"


@given(
    st.floats(0.01, 0.99),
    st.lists(st.tuples(st.floats(0.01, 1.0), st.floats(0.01, 1.0)), min_size=1, max_size=8),
)
def test_order_of_updates_does_not_matter_and_odds_multiply(prior: float, liks: list[tuple[float, float]]) -> None:
    """Posterior odds = prior odds × the product of likelihood ratios, in any order."""
    events = [_event({"r": a, "p": b}, day=i + 1) for i, (a, b) in enumerate(liks)]
    steps = trajectory({"r": prior, "p": 1 - prior}, events)
    final = steps[-1].posterior
    log_odds = math.log(prior / (1 - prior)) + sum(math.log(a / b) for a, b in liks)
    assert math.log(final["r"] / final["p"]) == pytest.approx(log_odds, abs=1e-9)
    backwards = trajectory({"r": prior, "p": 1 - prior}, [_event(e.likelihood, 28 - i) for i, e in enumerate(events)])
    assert backwards[-1].posterior["r"] == pytest.approx(final["r"], abs=1e-12)


def test_an_impossible_event_is_an_error() -> None:
    with pytest.raises(ScenarioError, match="probability zero"):
        trajectory({"r": 1.0, "p": 0.0}, [_event({"r": 0.0, "p": 1.0})], "x.toml")


def test_beliefs_cli_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import subprocess
    import sys

    path = tmp_path / "typed.toml"
    path.write_bytes(WORKED + TYPES)
    out = subprocess.run(
        [sys.executable, "-m", "detente.cli.app", "beliefs", str(path), "--json"],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["parties"][0]["party"] == "a"
    assert data["parties"][0]["final"]["resolute"] == pytest.approx(0.175 / 0.325)


def _clustered(e: Event, cluster: str) -> Event:
    return Event(e.id, e.date, e.actor, e.label, e.likelihood, e.source, cluster=cluster)


def test_a_cluster_counts_once_with_its_most_informative_event() -> None:
    """Two related events (ratios 2 and 4) count as the ratio-4 one alone: prior 0.5 → 0.8."""
    first = _clustered(Event("a1", datetime.date(2019, 1, 1), "a", "x", {"r": 0.4, "p": 0.2}, "s"), "c")
    second = _clustered(Event("a2", datetime.date(2019, 1, 2), "a", "y", {"r": 0.8, "p": 0.2}, "s"), "c")
    third = _clustered(Event("a3", datetime.date(2019, 1, 3), "a", "z", {"r": 0.6, "p": 0.3}, "s"), "c")
    steps = trajectory({"r": 0.5, "p": 0.5}, [first, second, third])
    assert steps[0].posterior["r"] == pytest.approx(2 / 3)
    assert steps[1].posterior["r"] == pytest.approx(0.8)  # replaced by the stronger member, not multiplied
    assert steps[1].log_likelihood_ratio == pytest.approx(math.log(2.0))  # the update it added
    assert steps[2].posterior["r"] == pytest.approx(0.8) and not steps[2].counted and steps[2].moved == 0.0
    independent = trajectory({"r": 0.5, "p": 0.5}, [first, Event("b", datetime.date(2019, 1, 2), "a", "y", {"r": 0.8, "p": 0.2}, "s")])
    assert independent[-1].posterior["r"] == pytest.approx(8 / 9)


def test_a_declared_cluster_uses_its_own_likelihoods_once() -> None:
    text = WORKED + TYPES.replace(b'source = "test"\n', b'source = "test"\ncluster = "summits"\n', 2) + b"""
[[clusters]]
id = "summits"
actor = "a"
likelihood = { resolute = 0.6, pushover = 0.4 }
"""
    scenario = detente.scenario.load_bytes(text, "clustered.toml")
    (party,) = detente.beliefs(scenario).parties
    by = {s.event: s for s in party.steps}
    assert by["walkout"].cluster == "summits" and by["praise"].cluster == "summits"
    # "earlier" (0.3 vs 0.6) and the cluster's 0.6 vs 0.4: odds 0.4/0.6 · 0.5 · 1.5 = 0.5
    assert party.final["resolute"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("extra", "key", "reason"),
    [
        (b'[[clusters]]\nid = "lonely"\nactor = "a"\nlikelihood = { resolute = 0.5, pushover = 0.5 }\n', "clusters[lonely]", "no event names this cluster"),
        (b'[[clusters]]\nid = "c"\nactor = "b"\nlikelihood = { x = 0.5 }\n', "clusters[c].actor", "not a party with [[types]]"),
    ],
)
def test_bad_clusters_are_one_line_errors(extra: bytes, key: str, reason: str) -> None:
    text = WORKED + TYPES.replace(b'source = "test"\n', b'source = "test"\ncluster = "c"\n', 1) + extra
    with pytest.raises(ScenarioError) as exc:
        detente.scenario.load_bytes(text, "bad.toml")
    assert exc.value.key == key and reason in exc.value.reason
