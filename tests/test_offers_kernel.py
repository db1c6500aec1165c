"""The offers game's compiled nodes against the numpy reference, bit for bit (docs/model.md,
Offers): every field of every node, over random games with ties, zero priors and indifference."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

from detente.model.offers import Node, OfferGame, _solve, solve_offers
from test_offers import games

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same_node(a: Node, b: Node) -> None:
    for f in ("meeting", "beliefs", "offer", "refusers", "after_refusal", "removed"):
        assert getattr(a, f) == getattr(b, f), f
    assert np.float64(a.proposer_value).tobytes() == np.float64(b.proposer_value).tobytes()
    for f in ("proposer_values", "responder_values", "offer_values", "offer_refusers"):
        u, v = getattr(a, f), getattr(b, f)
        assert u.dtype == v.dtype and u.shape == v.shape, f
        np.testing.assert_array_equal(u, v)
        assert u.tobytes() == v.tobytes(), f


def _same(g: OfferGame) -> None:
    fast, reference = solve_offers(g), _solve(g, reference=True)
    assert fast.nodes.keys() == reference.nodes.keys()
    for key, node in reference.nodes.items():
        _same_node(fast.nodes[key], node)


@SETTINGS
@given(games(max_types=4))
def test_the_compiled_nodes_are_the_reference(g: OfferGame) -> None:
    _same(g)


@SETTINGS
@given(games(zeros=True))
def test_the_compiled_nodes_are_the_reference_with_zero_priors(g: OfferGame) -> None:
    _same(g)


@SETTINGS
@given(games(indifferent=True))
def test_the_compiled_nodes_are_the_reference_when_every_choice_is_a_tie(g: OfferGame) -> None:
    _same(g)
