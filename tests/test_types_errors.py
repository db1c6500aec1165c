"""Bad [[types]], [[events]] and [[signals]]: one line naming the file, key and reason."""

from __future__ import annotations

import pytest

from detente.errors import ScenarioError
from detente.scenario import load_bytes
from test_worked_example import WORKED

GOOD_TYPES = """
[[types]]
party = "a"
id = "hard"
prior = 0.5
[[types]]
party = "a"
id = "soft"
prior = 0.5
"""

EVENT = """
[[events]]
id = "e1"
date = {date}
actor = "{actor}"
label = "x"
likelihood = {lik}
source = "s"
"""

SIGNAL = """
[[signals]]
id = "s1"
sender = "{sender}"
kind = "{kind}"
cost = {cost}
good_type = "{good}"
"""


def _load(extra: str) -> None:
    load_bytes(WORKED + extra.encode(), "typed.toml")


def _event(date: str = "2019-02-28", actor: str = "a", lik: str = "{ hard = 0.7, soft = 0.2 }") -> str:
    return GOOD_TYPES + EVENT.format(date=date, actor=actor, lik=lik)


def _signal(sender: str = "a", kind: str = "sunk", cost: str = "{ hard = 1.0, soft = 4.0 }", good: str = "hard") -> str:
    return GOOD_TYPES + SIGNAL.format(sender=sender, kind=kind, cost=cost, good=good)


def test_good_types_events_and_signals_load() -> None:
    scenario = load_bytes(WORKED + (_event() + SIGNAL.format(sender="a", kind="tied-hands", cost="{ hard = 1, soft = 2 }", good="soft")).encode(), "ok.toml")
    assert len(scenario.types) == 2 and len(scenario.events) == 1 and len(scenario.signals) == 1


@pytest.mark.parametrize(
    ("extra", "key", "reason"),
    [
        (GOOD_TYPES.replace("prior = 0.5\n[[types]]", "prior = 0.6\n[[types]]"), "types", "sum to 1.1"),
        (GOOD_TYPES.replace('party = "a"\nid = "hard"', 'party = "zz"\nid = "hard"'), "types[zz.hard].party", "unknown party"),
        (GOOD_TYPES.replace('id = "soft"', 'id = "hard"'), "types[a.hard]", "duplicate type"),
        (GOOD_TYPES.replace("prior = 0.5\n[[types]]", "prior = 0\n[[types]]"), "types[a.hard].prior", "(0, 1]"),
        (
            GOOD_TYPES.replace('id = "hard"\nprior = 0.5', 'id = "hard"\nprior = 0.5\nparameters = { nope = 1.0 }'),
            "types[a.hard].parameters.nope",
            "unknown parameter",
        ),
        (_event(lik="{ hard = 1.2, soft = 0.2 }"), "events[e1].likelihood.hard", "[0, 1]"),
        (_event(lik="{ hard = 0.2 }"), "events[e1].likelihood", "missing for type 'soft'"),
        (_event(lik="{ hard = 0.2, soft = 0.1, odd = 0.3 }"), "events[e1].likelihood.odd", "not a type"),
        (_event(lik="{ hard = 0.0, soft = 0.0 }"), "events[e1].likelihood", "zero for every type"),
        (_event(actor="b"), "events[e1].actor", "not a party with [[types]]"),
        (_event(date="2019-02-30"), "invalid TOML", "Invalid date"),  # the TOML parser, with a line
        (_event(date='"soon"'), "events[e1].date", "date"),
        (_event() + EVENT.format(date="2019-03-01", actor="a", lik="{ hard = 0.5, soft = 0.5 }"), "events", "duplicate id 'e1'"),
        (_signal(sender="b"), "signals[s1].sender", "not a party with [[types]]"),
        (_signal(kind="cheap"), "signals[s1].kind", "sunk"),
        (_signal(good="odd"), "signals[s1].good_type", "not a type"),
        (_signal(cost="{ hard = -1, soft = 2 }"), "signals[s1].cost.hard", "negative"),
        (_signal(cost="{ hard = 1 }"), "signals[s1].cost", "missing for type 'soft'"),
        (_signal(cost='{ hard = "nope * 2", soft = 1 }'), "signals[s1].cost.hard", "unknown parameter"),
    ],
)
def test_bad_types_events_signals(extra: str, key: str, reason: str) -> None:
    with pytest.raises(ScenarioError) as info:
        _load(extra)
    message = str(info.value)
    assert message.startswith("typed.toml: ")
    assert key in message, message
    assert reason in message, message
    assert "\n" not in message


# --- errors that only show when a type's world is built, and bad thresholds -------------------

TYPED_PARAMS = (
    WORKED.replace(b"discount = 0.8", b'discount = "b_delta"').replace(
        b"verifiability = 0.3", b'verifiability = "b2_detection"'
    )
    + b"""
[parameters]
b_delta = { value = 0.8, owner = "b" }
b2_detection = { value = 0.3 }
[[types]]
party = "b"
id = "ok"
prior = 0.5
[[types]]
party = "b"
id = "odd"
prior = 0.5
"""
)


def _typed(overrides: str) -> bytes:
    return TYPED_PARAMS + f"parameters = {{ {overrides} }}\n".encode()


def test_a_type_whose_overrides_break_a_discount(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import detente

    sc = load_bytes(_typed("b_delta = 1.5"), "typed.toml")
    with pytest.raises(ScenarioError) as err:
        detente.solve_robust(sc, 0.5)
    text = str(err.value)
    assert text.startswith("typed.toml: types[b.odd].parameters: under this type, parties[b].discount")
    assert "\n" not in text


def test_a_type_may_not_change_verifiability() -> None:
    import detente

    sc = load_bytes(_typed("b2_detection = 0.9"), "typed.toml")
    with pytest.raises(ScenarioError, match=r"types\[b.odd\].parameters: changes a move's verifiability"):
        detente.audit(sc, stages="a1;b2;b1", types=True)


@pytest.mark.parametrize("command", [["solve", "--robust", "1.5"], ["signals", "--robust", "-0.1"]])
def test_a_threshold_outside_0_1_is_one_line_and_exit_2(tmp_path, command) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    path = tmp_path / "typed.toml"
    path.write_bytes(_typed("b_delta = 0.7"))
    args = [command[0], str(path), *command[1:]]
    done = subprocess.run(
        [sys.executable, "-m", "detente", *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: --robust: must lie in [0, 1]")


def _cli(args: list[str]):  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "detente", *args], capture_output=True, text=True, timeout=300)


def test_validate_builds_every_type_world(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "typed.toml"
    path.write_bytes(_typed("b_delta = 1.5"))
    done = _cli(["scenarios", "validate", str(path)])
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == (
        f"error: {path}: types[b.odd].parameters: under this type, parties[b].discount: "
        "must be strictly between 0 and 1, got 1.5"
    )


@pytest.mark.parametrize(
    ("args", "needs"),
    [(["solve", "--beliefs", "posterior"], "add --robust TAU"), (["audit", "--stages", "a1", "--beliefs", "posterior"], "add --types")],
)
def test_beliefs_without_what_they_apply_to(tmp_path, args, needs) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "typed.toml"
    path.write_bytes(_typed("b_delta = 0.7"))
    done = _cli([args[0], str(path), *args[1:]])
    assert done.returncode == 2
    assert done.stderr.strip().endswith(needs) and "--beliefs" in done.stderr
