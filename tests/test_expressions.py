"""The safe expression evaluator (docs/model.md, "Scenario files"): what it computes and what it refuses.

Expressions come from scenario files, i.e. from untrusted input: nothing but numbers, parameter
names, ``+ - * / **``, unary minus/plus, parentheses, ``min()`` and ``max()`` may be evaluated, and
every refusal is an :class:`ExpressionError` with a one-line message.
"""

from __future__ import annotations

import ast
import builtins
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.errors import DetenteError, ExpressionError
from detente.scenario import expressions
from detente.scenario.expressions import evaluate, names

PARAMS = {"leakage": 0.35, "x": 2.0, "y": -3.0, "zero": 0.0}


def _refused(text: str, params: dict[str, float] | None = None) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        evaluate(text, PARAMS if params is None else params)
    message = str(info.value)
    assert message.strip(), "an empty error message"
    assert "\n" not in message and "\r" not in message, f"not one line: {message!r}"
    return info.value


# ---------------------------------------------------------------------------------------------
# What it computes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1.0),
        ("2.5", 2.5),
        ("1e3", 1000.0),
        ("1 + 2", 3.0),
        ("7 - 10", -3.0),
        ("6 * 7", 42.0),
        ("1 / 4", 0.25),
        ("3 / 2", 1.5),  # true division, not floor
        # precedence and associativity
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),
        ("10 - (4 - 3)", 9.0),
        ("12 / 4 / 3", 1.0),
        ("12 / (4 / 2)", 6.0),
        ("2 * 3 ** 2", 18.0),
        ("2 ** 3 ** 2", 512.0),  # right-associative
        ("(2 ** 3) ** 2", 64.0),
        # unary minus and plus
        ("-3", -3.0),
        ("-(1 + 2)", -3.0),
        ("--3", 3.0),
        ("+3", 3.0),
        ("2 * -3", -6.0),
        ("1 - -1", 2.0),
        ("-2 ** 2", -4.0),  # as in Python: -(2 ** 2)
        ("(-2) ** 2", 4.0),
        ("(-2) ** 3", -8.0),
        # powers
        ("2 ** -1", 0.5),
        ("4 ** 0.5", 2.0),
        ("2 ** 64", 2.0**64),
        ("0 ** 0", 1.0),
        # min and max
        ("min(3, 1, 2)", 1.0),
        ("max(3, 1, 2)", 3.0),
        ("min(5)", 5.0),
        ("max(-1, -2)", -1.0),
        ("min(max(1, 2), 3) + max(0, -1)", 2.0),
        ("  1 + 1  ", 2.0),
    ],
)
def test_arithmetic(text: str, expected: float) -> None:
    value = evaluate(text, {})
    assert isinstance(value, float)
    assert value == pytest.approx(expected, rel=1e-12, abs=0.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("leakage", 0.35),
        ("6.0 * (1 - leakage)", 6.0 * (1 - 0.35)),
        ("x ** 2 + y", 1.0),
        ("-y", 3.0),
        ("min(x, y)", -3.0),
        ("max(x, y, leakage)", 2.0),
        ("x / (x - y)", 0.4),
        ("zero * 5", 0.0),
    ],
)
def test_parameter_names(text: str, expected: float) -> None:
    assert evaluate(text, PARAMS) == pytest.approx(expected, rel=1e-12)


def test_parameters_are_looked_up_not_executed() -> None:
    """A parameter may be named like a builtin: the name is only a key into the mapping."""
    assert evaluate("__import__ + open", {"__import__": 1.0, "open": 2.0}) == 3.0


def test_names_lists_parameters_but_not_functions() -> None:
    assert names("min(x, leakage) * 2 + max(y, 1)") == {"x", "leakage", "y"}
    assert names("1 + 2") == set()


def test_no_eval_exec_or_code_compilation_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only an AST is built (``ast.parse``); no code object is ever compiled or run."""
    real_compile = builtins.compile

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval/exec called")

    def ast_only(source: Any, filename: Any, mode: Any, flags: int = 0, *rest: Any, **kw: Any) -> Any:
        if not flags & ast.PyCF_ONLY_AST:
            raise AssertionError("compile() to a code object called")
        return real_compile(source, filename, mode, flags, *rest, **kw)

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", ast_only)
    assert evaluate("min(x, 3) * 2 ** 2 - -leakage", PARAMS) == pytest.approx(8.35)
    with pytest.raises(ExpressionError):
        evaluate("__import__('os').getcwd()", PARAMS)


def test_expression_error_is_a_detente_error() -> None:
    """The CLI turns every DetenteError into one line and exit code 2."""
    assert issubclass(ExpressionError, DetenteError)


# ---------------------------------------------------------------------------------------------
# Dangerous input: refused, and nothing happens


def test_import_and_system_call_is_refused_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    error = _refused(f"__import__('os').system('touch {marker}')")
    assert "min() and max()" in str(error)
    assert not marker.exists()


def test_open_is_refused_and_no_file_is_created(tmp_path: Path) -> None:
    target = tmp_path / "x"
    _refused(f"open('{target}', 'w')")
    _refused("open('x')")
    assert not target.exists()


def test_eval_is_refused_and_its_argument_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "evaluated"
    _refused("eval('1')")
    _refused(f"eval(\"__import__('pathlib').Path('{marker}').touch()\")")
    _refused(f"exec(\"open('{marker}', 'w')\")")
    assert not marker.exists()


def test_names_refuses_dangerous_text_too(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with pytest.raises(ExpressionError):
        names(f"__import__('os').system('touch {marker}')")
    assert not marker.exists()


@pytest.mark.parametrize(
    "text",
    [
        "abs(-1)",
        "round(1.5)",
        "pow(2, 3)",
        "float('inf')",
        "int(2)",
        "sum(1, 2)",
        "getattr(x, 'real')",
        "globals()",
        "locals()",
        "vars()",
        "breakpoint()",
        "x(1)",  # calling a parameter
        "min.__call__(1)",  # an attribute of an allowed function
        "(lambda: 1)()",
        "max(1, 2)(3)",  # calling the result
    ],
)
def test_only_min_and_max_may_be_called(text: str) -> None:
    _refused(text)


@pytest.mark.parametrize(
    "text",
    [
        "leakage.real",
        "x.__class__",
        "().__class__",
        "().__class__.__bases__[0].__subclasses__()",
        "(1).real",
        "min.__name__",
        "max.__self__",
    ],
)
def test_attribute_access_is_refused(text: str) -> None:
    _refused(text)


@pytest.mark.parametrize("text", ["x[0]", "[1, 2][0]", "(1, 2)[1]", "x[0:1]"])
def test_subscripts_are_refused(text: str) -> None:
    _refused(text)


@pytest.mark.parametrize("text", ["lambda: 1", "lambda x: x", "(lambda: 1)"])
def test_lambdas_are_refused(text: str) -> None:
    _refused(text)


@pytest.mark.parametrize(
    "text",
    [
        "[a for a in (1, 2)]",
        "{a for a in (1, 2)}",
        "{a: 1 for a in (1, 2)}",
        "(a for a in (1, 2))",
        "max(a for a in (1, 2))",
        "min([a for a in (1, 2)])",
    ],
)
def test_comprehensions_are_refused(text: str) -> None:
    _refused(text)


@pytest.mark.parametrize("text", ["'a'", '"1"', "'1' + '2'", "b'1'", "f'{x}'", "min('a', 'b')"])
def test_strings_are_refused(text: str) -> None:
    _refused(text)


@pytest.mark.parametrize("text", ["True", "False", "True + 1", "x * True", "min(True, 2)"])
def test_booleans_are_refused(text: str) -> None:
    _refused(text)


@pytest.mark.parametrize(
    "text", ["1 < 2", "x == 2", "1 != 2", "1 <= x < 3", "x is x", "x in (1, 2)"]
)
def test_comparisons_are_refused(text: str) -> None:
    _refused(text)


@pytest.mark.parametrize(
    "text",
    [
        "7 // 2",
        "7 % 2",
        "x // 1",
        "x % 1",
        "1 << 2",
        "4 >> 1",
        "1 & 1",
        "1 | 2",
        "1 ^ 2",
        "x @ x",
        "~1",
        "not 1",
        "1 and 2",
        "1 or 2",
    ],
)
def test_other_operators_are_refused(text: str) -> None:
    _refused(text)


@pytest.mark.parametrize(
    "text", ["min(1, key=2)", "max(x, default=1)", "max(key=1)", "min(*(1, 2))", "max(**{})"]
)
def test_keyword_and_starred_arguments_are_refused(text: str) -> None:
    _refused(text)


@pytest.mark.parametrize(
    "text",
    [
        "None",
        "...",
        "1j",
        "(1, 2)",
        "[1, 2]",
        "{1: 2}",
        "{1}",
        "x if x else 1",
        "(z := 1)",
        "min",
        "min()",
        "max()",
    ],
)
def test_other_constructs_are_refused(text: str) -> None:
    _refused(text)


@pytest.mark.parametrize("text", ["nope", "x + nope", "min(1, nope)", "Leakage", "os", "__builtins__"])
def test_unknown_names_are_refused(text: str) -> None:
    error = _refused(text)
    assert "unknown parameter" in str(error) or "must be called" in str(error)


def test_unknown_name_message_names_the_parameter() -> None:
    assert "'nope'" in str(_refused("x + nope"))


@pytest.mark.parametrize(
    "text", ["", "   ", "1 +", "(1", "1 2", "x y", "1 = 2", "import os", "1;2", "$", "1 +\n 2"]
)
def test_syntax_errors_are_refused(text: str) -> None:
    _refused(text)


@pytest.mark.parametrize("text", ["1 / 0", "x / zero", "1 / (x - 2)", "0 ** -1", "zero ** -2"])
def test_division_by_zero_is_refused(text: str) -> None:
    assert "zero" in str(_refused(text))


@pytest.mark.parametrize("text", ["9**9**9", "2 ** 65", "10 ** 1000", "x ** 100", "2 ** -65", "9 ** 9 ** 9 ** 9"])
def test_huge_exponents_are_refused_quickly(text: str) -> None:
    start = time.monotonic()
    error = _refused(text)
    assert time.monotonic() - start < 1.0
    assert "exponent" in str(error)


@pytest.mark.parametrize("text", ["(10 ** 64) ** 64", "1e300 ** 2", "(-1e300) ** 3"])
def test_overflowing_powers_are_refused(text: str) -> None:
    _refused(text)


def test_negative_base_to_a_fractional_power_is_refused() -> None:
    _refused("(-8) ** (1 / 3)")
    _refused("y ** 0.5")


def test_too_long_is_refused() -> None:
    text = "1 + " * 200 + "1"
    assert len(text) > expressions.MAX_LENGTH
    assert "longer" in str(_refused(text))


def test_just_long_enough_is_accepted() -> None:
    text = ("1" + " " * (expressions.MAX_LENGTH - 1))[: expressions.MAX_LENGTH]
    assert evaluate(text, {}) == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "-" * 60 + "1",
        "min(" * 40 + "1" + ")" * 40,
        "2 ** " * 40 + "1",
        "(" * 210 + "1" + ")" * 210,
    ],
)
def test_too_deeply_nested_is_refused(text: str) -> None:
    assert len(text) <= expressions.MAX_LENGTH
    _refused(text)


def test_too_many_nodes_is_refused() -> None:
    text = "+".join(["1"] * 150)
    assert len(text) <= expressions.MAX_LENGTH
    assert "parts" in str(_refused(text))


@pytest.mark.parametrize(
    ("text", "params"),
    [
        ("1e308 * 10", {}),
        ("1e999", {}),
        ("-1e999", {}),
        ("1e999 - 1e999", {}),
        ("p", {"p": math.inf}),
        ("p * 0", {"p": math.inf}),
        ("p + 1", {"p": math.nan}),
        ("max(p, 1)", {"p": math.nan}),
    ],
)
def test_non_finite_results_are_refused(text: str, params: dict[str, float]) -> None:
    assert "finite" in str(_refused(text, params))


@pytest.mark.parametrize(
    ("text", "params"),
    [
        ("max(1, 1e999 - 1e999)", {}),
        ("min(1, p)", {"p": math.nan}),
    ],
)
def test_nan_inside_min_max_is_refused_whatever_the_order(
    text: str, params: dict[str, float]
) -> None:
    _refused(text, params)


# ---------------------------------------------------------------------------------------------
# Property: random trees of + - * over numbers evaluate as Python evaluates them


@dataclass(frozen=True)
class Tree:
    text: str
    value: float
    prec: int  # 3 for atoms, 2 for *, 1 for + and -


_PREC = {"+": 1, "-": 1, "*": 2}


def _leaf(n: int) -> Tree:
    return Tree(f"({n})" if n < 0 else str(n), float(n), 3)


def _combine(op: str, left: Tree, right: Tree, parens: bool) -> Tree:
    prec = _PREC[op]
    # Parentheses where Python needs them to keep this exact tree (or everywhere, if asked).
    lt = f"({left.text})" if parens or left.prec < prec else left.text
    rt = f"({right.text})" if parens or right.prec <= prec else right.text
    if op == "+":
        value = left.value + right.value
    elif op == "-":
        value = left.value - right.value
    else:
        value = left.value * right.value
    return Tree(f"{lt} {op} {rt}", value, prec)


@st.composite
def trees(draw: st.DrawFn, depth: int = 5) -> Tree:
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return _leaf(draw(st.integers(-50, 50)))
    op = draw(st.sampled_from(["+", "-", "*"]))
    left = draw(trees(depth=depth - 1))
    right = draw(trees(depth=depth - 1))
    return _combine(op, left, right, draw(st.booleans()))


@settings(max_examples=300, deadline=None)
@given(trees())
def test_random_trees_evaluate_like_python(tree: Tree) -> None:
    assert evaluate(tree.text, {}) == tree.value


@settings(max_examples=100, deadline=None)
@given(trees())
def test_random_trees_unary_minus(tree: Tree) -> None:
    assert evaluate(f"-({tree.text})", {}) == -tree.value
