"""Bad scenario input (docs/model.md, "Scenario files"): one ScenarioError per problem, on one line, naming
the file, the key path and the reason.

Every case starts from the valid worked example (WORKED) and breaks one thing.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from detente.errors import DetenteError, ScenarioError
from detente.scenario import load, load_bytes, loader, parse_overrides
from test_worked_example import WORKED

W = WORKED.decode()
FILE = "bad.toml"
PROPOSAL = '\n[[proposals]]\nid = "p"\n'


def edit(*pairs: str, text: str = W) -> str:
    """Replace each old text by its new one; each old text must occur exactly once."""
    assert len(pairs) % 2 == 0
    for old, new in zip(pairs[::2], pairs[1::2], strict=True):
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def after(anchor: str, extra: str, text: str = W) -> str:
    """Insert ``extra`` (lines) right after the line ``anchor``."""
    return edit(anchor + "\n", anchor + "\n" + extra + "\n", text=text)


def check(error: ScenarioError, key: str, word: str, source: str = FILE) -> str:
    message = str(error)
    assert "\n" not in message and "\r" not in message, f"not one line: {message!r}"
    assert source in message, message
    assert key in message, message
    assert word.lower() in message.lower(), message
    assert error.source == source
    return message


def fails(data: str | bytes, key: str, word: str, **kwargs: object) -> str:
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(ScenarioError) as info:
        load_bytes(raw, FILE, **kwargs)  # type: ignore[arg-type]
    return check(info.value, key, word)


def test_the_base_scenario_is_valid() -> None:
    scenario = load_bytes(WORKED, FILE)
    assert [p.id for p in scenario.parties] == ["a", "b"]
    assert issubclass(ScenarioError, DetenteError)


# ---------------------------------------------------------------------------------------------
# Shape: unknown keys, missing keys, wrong types


@pytest.mark.parametrize(
    ("data", "key"),
    [
        pytest.param(after('title = "The worked example"', "colour = 1"), "scenario.colour", id="scenario"),
        pytest.param(after('name = "A"', "colour = 1"), "parties[a].colour", id="parties"),
        pytest.param(after('name = "B"', "dicsount = 0.5"), "parties[b].dicsount", id="parties-typo"),
        pytest.param(after('label = "a1"', "colour = 1"), "moves[a1].colour", id="moves"),
        pytest.param(after('label = "b2"', "verifiablity = 1"), "moves[b2].verifiablity", id="moves-typo"),
        pytest.param(W + PROPOSAL + 'stages = [["a1"]]\ncolour = 1\n', "proposals[p].colour", id="proposals"),
        pytest.param(after("max_stage_moves = 2", "colour = 1"), "solver.colour", id="solver"),
        pytest.param("colour = 1\n" + W, "colour", id="top-level"),
        pytest.param(W + "\n[colour]\nx = 1\n", "colour", id="top-level-table"),
        pytest.param("[parameters]\nd = { value = 1, colour = 2 }\n" + W, "parameters.d.colour", id="parameters"),
    ],
)
def test_unknown_key(data: str, key: str) -> None:
    fails(data, key, "unknown key")


@pytest.mark.parametrize(
    ("data", "key"),
    [
        pytest.param(edit('title = "The worked example"\n', ""), "scenario.title", id="scenario.title"),
        pytest.param(edit('id = "worked-example"\n', ""), "scenario.id", id="scenario.id"),
        pytest.param(edit('[scenario]\nid = "worked-example"\ntitle = "The worked example"\n', ""), "scenario", id="scenario"),
        pytest.param(edit('name = "A"\n', ""), "parties[a].name", id="party.name"),
        pytest.param(edit("discount = 0.8\n", ""), "parties[b].discount", id="party.discount"),
        pytest.param(edit('id = "a1"\nowner = "a"\n', 'id = "a1"\n'), "moves[a1].owner", id="move.owner"),
        pytest.param(edit('label = "b1"\n', ""), "moves[b1].label", id="move.label"),
        pytest.param(W + PROPOSAL, "proposals[p].stages", id="proposal.stages"),
        pytest.param("[parameters]\nd = { note = 'x' }\n" + W, "parameters.d.value", id="parameter.value"),
    ],
)
def test_missing_required_key(data: str, key: str) -> None:
    fails(data, key, "missing")


def test_missing_parties_and_moves() -> None:
    header = '[scenario]\nid = "x"\ntitle = "x"\n'
    fails(header, "parties", "missing")
    one_party = header + '[[parties]]\nid = "a"\nname = "A"\ndiscount = 0.9\n'
    fails(one_party, "parties", "2")  # at least two parties
    two_parties = one_party + '[[parties]]\nid = "b"\nname = "B"\ndiscount = 0.9\n'
    fails(two_parties, "moves", "missing")


@pytest.mark.parametrize(
    ("data", "key", "word"),
    [
        pytest.param(edit("reversible = true", 'reversible = "yes"'), "moves[a1].reversible", "bool", id="string-for-bool"),
        pytest.param(edit("reversible = true", "reversible = 1"), "moves[a1].reversible", "bool", id="int-for-bool"),
        pytest.param(edit("discount = 0.9", "discount = [0.9]"), "parties[a].discount", "number", id="list-for-number"),
        pytest.param(edit("cost = 2", "cost = [2]"), "moves[b1].cost", "number", id="list-for-cost"),
        pytest.param(edit("discount = 0.9", "discount = true"), "parties[a].discount", "number", id="bool-for-number"),
        pytest.param(edit("discount = 0.9", "discount = { x = 1 }"), "parties[a].discount", "number", id="table-for-number"),
        pytest.param(edit("value = { b = 3 }", "value = 3"), "moves[a1].value", "dict", id="number-for-table"),
        pytest.param(edit('name = "A"', "name = 5"), "parties[a].name", "string", id="number-for-string"),
        pytest.param(edit("max_stage_moves = 2", 'max_stage_moves = "2"'), "solver.max_stage_moves", "integer", id="string-for-int"),
        pytest.param(edit("max_stage_moves = 2", "max_stage_moves = 2.5"), "solver.max_stage_moves", "integer", id="float-for-int"),
        pytest.param(edit("max_stage_moves = 2", "max_stage_moves = 0"), "solver.max_stage_moves", "greater", id="int-too-small"),
        pytest.param(edit('[scenario]\nid = "worked-example"', '[scenario]\nid = "worked-example"\ninitial = "a1"'), "scenario.initial", "list", id="string-for-list"),
        pytest.param(W + PROPOSAL + 'stages = ["a1"]\n', "proposals[p].stages", "list", id="stage-not-a-list"),
        pytest.param(edit('id = "worked-example"', 'id = "Worked Example"'), "scenario.id", "pattern", id="bad-id"),
        pytest.param(edit("[scenario]", "[[scenario]]"), "scenario", "dictionary", id="array-for-table"),
    ],
)
def test_wrong_type(data: str, key: str, word: str) -> None:
    fails(data, key, word)


def test_several_shape_errors_are_counted_on_one_line() -> None:
    data = edit('title = "The worked example"', 'title = 5\ncolour = 1\nperiod = 3')
    message = fails(data, "scenario.title", "string")
    assert "2 more errors" in message


# ---------------------------------------------------------------------------------------------
# References: unknown and duplicate ids, cycles


@pytest.mark.parametrize(
    ("data", "key"),
    [
        pytest.param(edit('id = "a1"\nowner = "a"', 'id = "a1"\nowner = "zz"'), "moves[a1].owner", id="move-owner"),
        pytest.param(edit("value = { b = 3 }", "value = { zz = 3 }"), "moves[a1].value.zz", id="value-party"),
        pytest.param(edit("[scenario]", '[scenario]\ninitial = ["zz"]'), "scenario.initial", id="initial"),
        pytest.param(after('label = "a1"', 'requires = ["zz"]'), "moves[a1].requires", id="requires"),
        pytest.param(after('label = "b2"', "verifiability_with = { zz = 0.9 }"), "moves[b2].verifiability_with.zz", id="verifiability-with"),
        pytest.param(W + PROPOSAL + 'stages = [["a1"], ["zz"]]\n', "proposals[p].stages[2]", id="proposal-stage-move"),
        pytest.param("[parameters]\nd = { value = 0.9, owner = \"zz\" }\n" + W, "parameters.d.owner", id="parameter-owner"),
        pytest.param(W + PROPOSAL + 'by = "zz"\nstages = [["a1"]]\n', "proposals[p].by", id="proposal-by"),
    ],
)
def test_unknown_id(data: str, key: str) -> None:
    message = fails(data, key, "unknown")
    assert "'zz'" in message


@pytest.mark.parametrize(
    ("data", "key"),
    [
        pytest.param(W + '[[parties]]\nid = "a"\nname = "A again"\ndiscount = 0.5\n', "parties", id="parties"),
        pytest.param(W + '[[moves]]\nid = "b1"\nowner = "a"\nlabel = "again"\n', "moves", id="moves"),
        pytest.param(W + PROPOSAL + 'stages = [["a1"]]\n' + PROPOSAL + 'stages = [["b1"]]\n', "proposals", id="proposals"),
        pytest.param(edit("[scenario]", '[scenario]\ninitial = ["a1", "a1"]'), "scenario.initial", id="initial"),
        pytest.param(after('label = "a1"', 'requires = ["b1", "b1"]'), "moves[a1].requires", id="requires"),
    ],
)
def test_duplicate_id(data: str, key: str) -> None:
    fails(data, key, "duplicate")


def test_requires_two_cycle() -> None:
    data = after('label = "b1"', 'requires = ["a1"]', text=after('label = "a1"', 'requires = ["b1"]'))
    message = fails(data, "requires", "cycle")
    assert "a1" in message and "b1" in message


def test_requires_three_cycle() -> None:
    data = after('label = "a1"', 'requires = ["b1"]')
    data = after('label = "b1"', 'requires = ["b2"]', text=data)
    data = after('label = "b2"', 'requires = ["a1"]', text=data)
    message = fails(data, "requires", "cycle")
    assert all(m in message for m in ("a1", "b1", "b2"))


def test_requires_chain_without_cycle_is_fine() -> None:
    data = after('label = "a1"', 'requires = ["b1"]')
    data = after('label = "b1"', 'requires = ["b2"]', text=data)
    assert load_bytes(data.encode(), FILE).move("a1").requires == ("b1",)


def test_move_requiring_itself() -> None:
    fails(after('label = "a1"', 'requires = ["a1"]'), "moves[a1].requires", "itself")


def test_move_verifying_itself() -> None:
    fails(after('label = "b2"', "verifiability_with = { b2 = 0.9 }"), "moves[b2].verifiability_with.b2", "itself")


# ---------------------------------------------------------------------------------------------
# Numbers out of range


@pytest.mark.parametrize("value", ["-0.1", "1.01", "2", "-1", '"0.5 + 0.6"'])
def test_verifiability_outside_0_1(value: str) -> None:
    fails(edit("verifiability = 0.3", f"verifiability = {value}"), "moves[b2].verifiability", "[0, 1]")


@pytest.mark.parametrize("value", ["-0.5", "1.5"])
def test_verifiability_with_outside_0_1(value: str) -> None:
    data = after('label = "b2"', f"verifiability_with = {{ a1 = {value} }}")
    fails(data, "moves[b2].verifiability_with.a1", "[0, 1]")


@pytest.mark.parametrize("value", ["0", "0.0", "1", "1.0", "-0.5", "1.5", '"0.9 + 0.2"', '"d * 2"', "inf"])
def test_discount_outside_0_1(value: str) -> None:
    data = "[parameters]\nd = { value = 0.9 }\n" + edit("discount = 0.9", f"discount = {value}")
    fails(data, "parties[a].discount", "between" if value != "inf" else "finite")


def test_discount_through_a_parameter_override() -> None:
    data = "[parameters]\nd = { value = 0.9 }\n" + edit("discount = 0.9", 'discount = "d"')
    assert load_bytes(data.encode(), FILE).party("a").discount == 0.9
    fails(data, "parties[a].discount", "between", overrides={"d": 1.0})


@pytest.mark.parametrize(
    ("data", "key"),
    [
        pytest.param(edit("upfront_cost = 1", "upfront_cost = -1"), "moves[b2].upfront_cost", id="upfront"),
        pytest.param(edit("reversal_cost = 0.5", "reversal_cost = -0.5"), "moves[a1].reversal_cost", id="reversal"),
        pytest.param(edit("unreciprocated_cost = 0.5", "unreciprocated_cost = -0.5"), "parties[a].unreciprocated_cost", id="unreciprocated"),
        pytest.param(edit("defection_penalty = 1.0", "defection_penalty = -1.0"), "parties[b].defection_penalty", id="penalty"),
        pytest.param(edit("upfront_cost = 1", 'upfront_cost = "1 - 2"'), "moves[b2].upfront_cost", id="upfront-expression"),
    ],
)
def test_negative_amounts(data: str, key: str) -> None:
    fails(data, key, "negative")


def test_bargaining_power_for_some_parties_only() -> None:
    fails(after('name = "A"', "bargaining_power = 1"), "parties[b].bargaining_power", "every party")


@pytest.mark.parametrize("value", ["0", "-1", '"1 - 1"'])
def test_bargaining_power_not_positive(value: str) -> None:
    data = after('name = "A"', f"bargaining_power = {value}")
    data = after('name = "B"', "bargaining_power = 1", text=data)
    fails(data, "parties[a].bargaining_power", "positive")


def test_bargaining_power_for_every_party_is_fine() -> None:
    data = after('name = "A"', "bargaining_power = 2")
    data = after('name = "B"', "bargaining_power = 1", text=data)
    assert load_bytes(data.encode(), FILE).party("a").bargaining_power == 2.0


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "1e999"])
def test_non_finite_numbers(value: str) -> None:
    fails(edit("cost = 2", f"cost = {value}"), "moves[b1].cost", "finite")


# ---------------------------------------------------------------------------------------------
# Expressions


@pytest.mark.parametrize(
    ("expression", "word"),
    [
        pytest.param("3 +", "syntax", id="syntax"),
        pytest.param("3 * (1 - leak", "syntax", id="unclosed"),
        pytest.param("3 * nope", "unknown parameter", id="unknown-parameter"),
        pytest.param("abs(-3)", "min() and max()", id="function-call"),
        pytest.param("3 / 0", "zero", id="division-by-zero"),
        pytest.param("3 / (leak - 0.25)", "zero", id="division-by-zero-parameter"),
        pytest.param("leak.real", "not allowed", id="attribute"),
        pytest.param("'3'", "numbers", id="string"),
        pytest.param("9**9**9", "exponent", id="huge-exponent"),
        pytest.param("1e308 * 10", "finite", id="overflow"),
    ],
)
def test_expression_errors(expression: str, word: str) -> None:
    data = "[parameters]\nleak = { value = 0.25 }\n" + edit("value = { b = 3 }", f'value = {{ b = "{expression}" }}')
    fails(data, "moves[a1].value.b", word)


def test_expression_too_long() -> None:
    expression = "1 + " * 200 + "1"
    data = edit("value = { b = 3 }", f'value = {{ b = "{expression}" }}')
    fails(data, "moves[a1].value.b", "500")


def test_expression_error_in_a_party_field() -> None:
    fails(edit("defection_penalty = 1.5", 'defection_penalty = "min()"'), "parties[a].defection_penalty", "argument")


def test_expressions_that_are_fine() -> None:
    data = "[parameters]\nleak = { value = 0.25 }\n" + edit("value = { b = 3 }", 'value = { b = "4 * (1 - leak)" }')
    assert load_bytes(data.encode(), FILE).move("a1").value["b"] == 3.0


def test_import_in_an_expression_is_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    expression = f"__import__('os').system('touch {marker}')"
    data = edit("value = { b = 3 }", f'value = {{ b = "{expression}" }}')
    fails(data, "moves[a1].value.b", "min() and max()")
    assert not marker.exists()


# ---------------------------------------------------------------------------------------------
# Proposals


@pytest.mark.parametrize(
    ("stages", "key", "word", "initial"),
    [
        pytest.param('[["a1"], []]', "proposals[p].stages[2]", "empty", "", id="empty-stage"),
        pytest.param("[[]]", "proposals[p].stages[1]", "empty", "", id="only-an-empty-stage"),
        pytest.param("[]", "proposals[p].stages", "at least one stage", "", id="no-stage"),
        pytest.param('[["a1", "a1"]]', "proposals[p].stages[1]", "twice", "", id="twice-in-a-stage"),
        pytest.param('[["a1"], ["b1", "a1"]]', "proposals[p].stages[2]", "twice", "", id="twice-across-stages"),
        pytest.param('[["b1"], ["a1"]]', "proposals[p].stages[2]", "initial", "a1", id="already-in-initial"),
    ],
)
def test_bad_proposals(stages: str, key: str, word: str, initial: str) -> None:
    base = edit("[scenario]", f'[scenario]\ninitial = ["{initial}"]') if initial else W
    fails(base + PROPOSAL + f"stages = {stages}\n", key, word)


def test_a_good_proposal_loads() -> None:
    scenario = load_bytes((W + PROPOSAL + 'by = "a"\nstages = [["a1"], ["b1", "b2"]]\n').encode(), FILE)
    assert scenario.proposals[0].stages == (("a1",), ("b1", "b2"))


# ---------------------------------------------------------------------------------------------
# --set overrides


@pytest.mark.parametrize(
    ("items", "key", "word"),
    [
        pytest.param(["leak"], "leak", "name=value", id="missing-equals"),
        pytest.param(["=1"], "=1", "name=value", id="missing-name"),
        pytest.param(["le ak=1"], "le ak", "name=value", id="bad-name"),
        pytest.param(["leak=abc"], "leak", "not a number", id="not-a-number"),
        pytest.param(["leak="], "leak", "not a number", id="empty-value"),
        pytest.param(["leak=inf"], "leak", "finite", id="inf"),
        pytest.param(["leak=-inf"], "leak", "finite", id="minus-inf"),
        pytest.param(["leak=nan"], "leak", "finite", id="nan"),
        pytest.param(["leak=1e999"], "leak", "finite", id="overflowing"),
        pytest.param(["x=1", "leak=abc"], "leak", "not a number", id="second-item"),
    ],
)
def test_parse_overrides_errors(items: list[str], key: str, word: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_overrides(items)
    check(info.value, key, word, source="--set")


def test_parse_overrides_good() -> None:
    assert parse_overrides(["leak=0.5", " x = -2 "]) == {"leak": 0.5, "x": -2.0}
    assert parse_overrides(None) == {}


def test_override_of_an_unknown_parameter() -> None:
    data = "[parameters]\nleak = { value = 0.25 }\n" + W
    message = fails(data, "overrides.nope", "unknown parameter", overrides=parse_overrides(["nope=1"]))
    assert "leak" in message  # the known parameters are listed


def test_override_without_any_parameters() -> None:
    fails(W, "overrides.nope", "unknown parameter", overrides={"nope": 1.0})


def test_override_applies() -> None:
    data = "[parameters]\nleak = { value = 0.25 }\n" + edit("value = { b = 3 }", 'value = { b = "4 * (1 - leak)" }')
    scenario = load_bytes(data.encode(), FILE, parse_overrides(["leak=0.5"]))
    assert scenario.move("a1").value["b"] == 2.0


def test_override_item_with_a_newline_gives_one_line() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_overrides(["le\nak=1"])
    check(info.value, "le", "name=value", source="--set")


# ---------------------------------------------------------------------------------------------
# The file itself


@pytest.mark.parametrize(
    ("data", "word"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"  \n\t\r\n \n", "empty", id="whitespace-only"),
        pytest.param(b"\x00\x01\x02\x03", "binary", id="binary"),
        pytest.param(WORKED + b"\n# \x00\n", "binary", id="nul-in-text"),
        pytest.param(b"\xff\xfe[scenario]\n", "UTF-8", id="invalid-utf8"),
        pytest.param(WORKED.replace(b'name = "A"', b'name = "\xe9"'), "UTF-8", id="latin1-byte"),
        pytest.param(b"\x89PNG\r\n\x1a\n", "UTF-8", id="png-header"),
    ],
)
def test_unreadable_content(data: bytes, word: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_bytes(data, FILE)
    check(info.value, "", word)


@pytest.mark.parametrize(
    ("data", "line"),
    [
        pytest.param('[scenario]\nid = "x"\ntitle = \n', 3, id="missing-value"),
        pytest.param('[scenario]\nid = "x"\n[scenario]\n', 3, id="table-twice"),
        pytest.param('[scenario\nid = "x"\n', 1, id="unclosed-header"),
        pytest.param('[scenario]\nid = "x"\ntitle = "unterminated\n', 3, id="unterminated-string"),
        pytest.param('[scenario]\nid = "x"\nid = "y"\n', 3, id="duplicate-key"),
        pytest.param("<html><body>not toml</body></html>\n", 1, id="html"),
    ],
)
def test_invalid_toml_names_the_line(data: str, line: int) -> None:
    with pytest.raises(ScenarioError) as info:
        load_bytes(data.encode(), FILE)
    check(info.value, "", "TOML")
    assert f"line {line}" in str(info.value)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"x = " + b"[" * 100_000, id="arrays"),
        pytest.param(b"x = " + b"{a = " * 5_000 + b"1" + b"}" * 5_000 + b"\n", id="inline-tables"),
    ],
)
def test_deeply_nested_toml(data: bytes) -> None:
    assert len(data) <= loader.MAX_FILE_BYTES
    with pytest.raises(ScenarioError) as info:
        load_bytes(data, FILE)
    message = check(info.value, "", "")
    assert any(word in message for word in ("TOML", "nest", "deep")), message


def test_integer_with_too_many_digits() -> None:
    data = edit("cost = 2", "cost = 1" + "0" * 5000)
    with pytest.raises(ScenarioError) as info:
        load_bytes(data.encode(), FILE)
    check(info.value, "", "")


@pytest.mark.parametrize(("value", "expression"), [("nan", "max(3, p)"), ("inf", "min(3, p)")])
def test_non_finite_parameter_value(value: str, expression: str) -> None:
    data = f"[parameters]\np = {{ value = {value} }}\n" + edit(
        "value = { b = 3 }", f'value = {{ b = "{expression}" }}'
    )
    fails(data, "parameters.p", "finite")


@pytest.mark.parametrize(
    ("data", "key"),
    [
        pytest.param('"col\\nour" = 1\n' + W, "col", id="unknown-top-level-key"),
        pytest.param(after('title = "The worked example"', '"col\\nour" = 1'), "scenario.col", id="unknown-scenario-key"),
        pytest.param(edit('id = "a"\nname', 'id = "a\\nb"\nname'), "parties[a", id="bad-id"),
        pytest.param(after('label = "a1"', 'notes = { "co\\nst" = "why" }'), "moves[a1].notes", id="notes-key"),
    ],
)
def test_newlines_in_keys_still_give_one_line(data: str, key: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_bytes(data.encode(), FILE)
    check(info.value, key, "")


# ---------------------------------------------------------------------------------------------
# Files on disk: load(path)


def test_load_a_good_file(tmp_path: Path) -> None:
    path = tmp_path / "good.toml"
    path.write_bytes(WORKED)
    assert load(path).id == "worked-example"
    assert load(str(path)).origin == str(path)


@pytest.mark.parametrize(
    ("data", "key", "word"),
    [
        pytest.param(b"", "", "empty", id="empty"),
        pytest.param(b"\n   \n", "", "empty", id="whitespace"),
        pytest.param(b"\x00" * 64, "", "binary", id="binary"),
        pytest.param(b"\xc3\x28 = 1\n", "", "UTF-8", id="invalid-utf8"),
        pytest.param(b"x = = 1\n", "", "line 1", id="invalid-toml"),
        pytest.param(after('name = "A"', "colour = 1").encode(), "parties[a].colour", "unknown key", id="unknown-key"),
    ],
)
def test_load_bad_file(tmp_path: Path, data: bytes, key: str, word: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_bytes(data)
    with pytest.raises(ScenarioError) as info:
        load(path)
    check(info.value, key, word, source=str(path))


def test_load_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios.toml"
    folder.mkdir()
    with pytest.raises(ScenarioError) as info:
        load(folder)
    check(info.value, "", "directory", source=str(folder))


def test_load_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "no-such.toml"
    with pytest.raises(ScenarioError) as info:
        load(path)
    check(info.value, "", "no such file", source=str(path))
    with pytest.raises(ScenarioError) as info:
        load("no-such-scenario")
    check(info.value, "", "no such file", source="no-such-scenario")


def _padded(size: int) -> bytes:
    """WORKED followed by comment lines, exactly ``size`` bytes long."""
    pad = size - len(WORKED)
    lines = b"".join(b"#" + b"x" * 98 + b"\n" for _ in range(pad // 100))
    rest = pad - len(lines)
    data = WORKED + lines + (b"#" + b"y" * (rest - 2) + b"\n" if rest >= 2 else b"\n" * rest)
    assert len(data) == size
    return data


def test_load_a_file_above_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_bytes(_padded(loader.MAX_FILE_BYTES + 1))
    with pytest.raises(ScenarioError) as info:
        load(path)
    message = check(info.value, "", "limit", source=str(path))
    assert str(loader.MAX_FILE_BYTES) in message


def test_load_a_file_at_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(_padded(loader.MAX_FILE_BYTES))
    assert load(path).id == "worked-example"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_size_limit_holds_for_a_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    data = _padded(loader.MAX_FILE_BYTES + 100_000)

    def feed() -> None:
        try:
            with open(fifo, "wb") as f:
                f.write(data)
        except OSError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        with pytest.raises(ScenarioError) as info:
            load(fifo)
        check(info.value, "", "", source=str(fifo))
        assert any(w in str(info.value) for w in ("limit", "regular", "not a file"))
    finally:
        if writer.is_alive():  # the loader refused without opening the pipe: unblock the writer
            fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
            os.close(fd)
        writer.join(timeout=5)


# --- version 2 of the format: reversal lags, parameter domains, [bargaining] ---

A1 = 'reversal_cost = 0.5'


@pytest.mark.parametrize(
    ("lag", "word"),
    [("-1", "whole number"), ("1.5", "whole number"), ('"-2"', "whole number"), ("100000", "at most")],
)
def test_bad_reversal_lags(lag: str, word: str) -> None:
    fails(edit(A1, f"{A1}\nreversal_lag = {lag}"), "moves[a1].reversal_lag", word)


def test_a_lag_on_an_irreversible_move() -> None:
    fails(after('value = { a = 4 }', "reversal_lag = 2"), "moves[b1].reversal_lag", "not reversible")


def test_a_lag_may_be_an_expression() -> None:
    text = edit(A1, f"{A1}\nreversal_lag = \"2 * years\"") + "\n[parameters]\nyears = { value = 2 }\n"
    sc = load_bytes(text.encode(), FILE)
    assert sc.move("a1").reversal_lag == 4


DOMAIN = '[scenario]\nid = "worked-example"\ntitle = "The worked example"\n[parameters]\nshare = { value = 0.5, min = 0, max = 1 }\n'
BODY = W.replace('[scenario]\nid = "worked-example"\ntitle = "The worked example"\n', "").replace(
    "cost = 2\n", 'cost = "2 * share"\n', 1
)


def test_parameter_domains() -> None:
    sc = load_bytes((DOMAIN + BODY).encode(), FILE)
    assert sc.domains["share"] == (0.0, 1.0)
    fails(DOMAIN.replace("value = 0.5", "value = 1.5") + BODY, "parameters.share.value", "outside the parameter's domain")
    fails(DOMAIN.replace("min = 0", "min = 2") + BODY, "parameters.share", "above max")
    for bad in (1.5, -1.0):
        with pytest.raises(ScenarioError) as info:
            load_bytes((DOMAIN + BODY).encode(), FILE, {"share": bad})
        check(info.value, "overrides.share", "outside the parameter's domain [0, 1]")


def test_a_distribution_outside_the_domain() -> None:
    extra = '\n[uncertainty]\nshare = { dist = "uniform", low = 0.2, high = 1.2 }\n'
    fails(DOMAIN + BODY + extra, "uncertainty.share", "outside the parameter's domain")
    extra = '\n[uncertainty]\nshare = { dist = "lognormal", median = 0.5, sigma = 0.2 }\n'
    fails(DOMAIN + BODY + extra, "uncertainty.share", "outside the parameter's domain")


def test_a_type_override_outside_the_domain() -> None:
    types = (
        '\n[[types]]\nparty = "b"\nid = "x"\nprior = 0.5\nparameters = { share = 2.0 }\n'
        '[[types]]\nparty = "b"\nid = "y"\nprior = 0.5\n'
    )
    fails(DOMAIN + BODY + types, "types[b.x].parameters.share", "outside the parameter's domain")


OFFERS = '\n[bargaining]\nprotocol = "offers"\nproposer = "a"\n'


@pytest.mark.parametrize(
    ("bargaining", "key", "word"),
    [
        ('protocol = "offers"', "bargaining.proposer", "required"),
        ('protocol = "offers"\nproposer = "c"', "bargaining.proposer", "unknown party 'c'"),
        ('protocol = "offers"\nproposer = "a"\nrounds = 0', "bargaining.rounds", "must lie in [1,"),
        ('protocol = "offers"\nproposer = "a"\nround_length = 0', "bargaining.round_length", "must lie in [1,"),
        ('protocol = "nash"\nrounds = 2', "bargaining.rounds", 'protocol "nash" does not take it'),
        ('protocol = "nash"\nproposer = "a"', "bargaining.proposer", 'protocol "nash" does not take it'),
        ('protocol = "offers"\nproposer = "a"\nrounds = 1.5', "bargaining.rounds", "integer"),
        ('protocol = "haggle"', "bargaining.protocol", "'nash' or 'offers'"),
        ('protocol = "offers"\nproposer = "a"\nwho = 1', "bargaining.who", "unknown key"),
    ],
)
def test_bad_bargaining(bargaining: str, key: str, word: str) -> None:
    fails(W + "\n[bargaining]\n" + bargaining + "\n", key, word)


def test_offers_needs_two_parties() -> None:
    third = '\n[[parties]]\nid = "c"\nname = "C"\ndiscount = 0.9\n'
    fails(W + third + OFFERS, "bargaining.protocol", "exactly two parties")


def test_offers_is_accepted() -> None:
    sc = load_bytes((W + OFFERS).encode(), FILE)
    assert sc.bargaining.protocol == "offers" and sc.bargaining.proposer == "a"
    assert (sc.bargaining.rounds, sc.bargaining.round_length, sc.bargaining.candidates) == (3, 1, "solver")


OUT = '\n[[outcomes]]\nstage = 1\nmoves = ["a1"]\nstatus = "taken"\ndate = 2019-01-01\nsource = "s"\n'
OUT2 = '\n[[outcomes]]\nstage = 2\nmoves = ["b1", "b2"]\nstatus = "refused"\nby = ["b"]\ndate = 2019-04-01\nsource = "s"\n'


def test_outcomes_are_accepted() -> None:
    sc = load_bytes((W + OUT + OUT2).encode(), FILE)
    assert [(o.stage, o.status, o.by) for o in sc.outcomes] == [(1, "taken", ()), (2, "refused", ("b",))]


@pytest.mark.parametrize(
    ("text", "key", "word"),
    [
        (OUT.replace("stage = 1", "stage = 2"), "outcomes[1].stage", "numbered 1, 2"),
        (OUT.replace('["a1"]', '["zz"]'), "outcomes[1].moves", "unknown move 'zz'"),
        (OUT + OUT2.replace('"b1", "b2"', '"a1"'), "outcomes[2].moves", "appears in two stages"),
        (OUT.replace('"taken"', '"quit"'), "outcomes[1].by", "name who quit"),
        (OUT + 'by = ["a"]\n', "outcomes[1].by", "taken has nobody"),
        (OUT2.replace("stage = 2", "stage = 1").replace('"b1", "b2"', '"a1"') + OUT.replace("stage = 1", "stage = 2").replace('["a1"]', '["b1"]'), "outcomes[2]", "ended there"),
        (OUT + OUT2.replace("2019-04-01", "2018-01-01"), "outcomes[2].date", "before the previous"),
        (OUT.replace('"taken"', '"lost"'), "outcomes[1].status", "taken"),
        (OUT + "covert_detected = 2018-01-01\n", "outcomes[1].covert_detected", "before the stage"),
    ],
)
def test_bad_outcomes(text: str, key: str, word: str) -> None:
    fails(W + text, key, word)


def test_set_reaches_any_number_or_boolean_field() -> None:
    """--set moves.ID.FIELD / parties.ID.FIELD / TABLE.FIELD, validated like the file."""
    over = parse_overrides(["moves.a1.reversal_lag=2", "parties.b.discount=0.7", "solver.max_stages=3", "moves.b1.reversible=true"])
    assert over == {"moves.a1.reversal_lag": 2, "parties.b.discount": 0.7, "solver.max_stages": 3, "moves.b1.reversible": True}
    sc = load_bytes(WORKED, FILE, over)
    assert sc.move("a1").reversal_lag == 2 and sc.move("b1").reversible
    assert sc.party("b").discount == 0.7 and sc.solver.max_stages == 3
    assert sc.content_hash != load_bytes(WORKED, FILE).content_hash


@pytest.mark.parametrize(
    ("item", "key", "word"),
    [
        ("moves.zz.cost=1", "overrides.moves.zz.cost", "no moves entry with id 'zz'"),
        ("moves.a1.colour=1", "moves[a1].colour", "unknown key"),
        ("parties.a.discount=1.5", "parties[a].discount", "strictly between 0 and 1"),
        ("moves.a1.reversal_lag=-1", "moves[a1].reversal_lag", "whole number"),
        ("moves.a1.label=1", "overrides.moves.a1.label", "not a number or a boolean"),
        ("weird.a1.cost=1", "overrides.weird.a1.cost", "field path"),
    ],
)
def test_bad_field_overrides(item: str, key: str, word: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_bytes(WORKED, FILE, parse_overrides([item]))
    check(info.value, key, word)
