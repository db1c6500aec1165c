"""A small, safe evaluator for number expressions in scenario files (docs/model.md, "Scenario files").

Grammar: numbers, parameter names, ``+ - * / **``, unary minus/plus, parentheses,
``min(...)`` and ``max(...)``. The text is parsed with :mod:`ast` and walked over a whitelist;
nothing is ever passed to ``eval``. Size, depth and exponents are bounded so that no
expression can exhaust memory or time.
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Mapping

from detente.errors import ExpressionError

MAX_LENGTH = 500
MAX_NODES = 200
MAX_DEPTH = 30
MAX_EXPONENT = 64.0

_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_FUNCS = {"min": min, "max": max}


def parse(text: str) -> ast.Expression:
    """Parse and check an expression; raise :class:`ExpressionError` if it is not allowed."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise ExpressionError("empty expression")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error in expression {text!r}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError(f"expression {text!r} cannot be parsed") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES:
        raise ExpressionError(f"expression {text!r} has more than {MAX_NODES} parts")
    _check(tree.body, text, 0)
    return tree


def _check(node: ast.AST, text: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ExpressionError(f"expression {text!r} is nested more than {MAX_DEPTH} deep")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ExpressionError(f"expression {text!r}: only numbers are allowed, not {node.value!r}")
    elif isinstance(node, ast.Name):
        pass
    elif isinstance(node, ast.BinOp):
        if not isinstance(node.op, _BINOPS):
            raise ExpressionError(
                f"expression {text!r}: operator {type(node.op).__name__} is not allowed"
            )
        _check(node.left, text, depth + 1)
        _check(node.right, text, depth + 1)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise ExpressionError(
                f"expression {text!r}: operator {type(node.op).__name__} is not allowed"
            )
        _check(node.operand, text, depth + 1)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCS:
            raise ExpressionError(
                f"expression {text!r}: only min() and max() may be called"
            )
        if node.keywords or not node.args:
            raise ExpressionError(
                f"expression {text!r}: {node.func.id}() takes one or more plain arguments"
            )
        for arg in node.args:
            _check(arg, text, depth + 1)
    else:
        raise ExpressionError(
            f"expression {text!r}: {type(node).__name__} is not allowed "
            "(only numbers, parameter names, + - * / **, min() and max())"
        )


def names(text: str) -> set[str]:
    """The parameter names an expression refers to."""
    tree = parse(text)
    return {
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and not _is_func_name(tree, n)
    }


def _is_func_name(tree: ast.AST, name: ast.Name) -> bool:
    return any(isinstance(c, ast.Call) and c.func is name for c in ast.walk(tree))


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> ast.Expression:
    """``parse``, remembered: a simulation resolves the same expressions thousands of times.
    Trees are only read, never changed, so sharing them is safe; errors are not cached."""
    return parse(text)


def evaluate(text: str, parameters: Mapping[str, float]) -> float:
    """Evaluate ``text`` with ``parameters``; the result is a finite float."""
    tree = _parsed(text)
    try:
        value = _eval(tree.body, parameters, text)
    except OverflowError:
        raise ExpressionError(f"expression {text!r} overflows") from None
    if not math.isfinite(value):
        raise ExpressionError(f"expression {text!r} is not a finite number")
    return value


def _eval(node: ast.AST, params: Mapping[str, float], text: str) -> float:
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, int | float):  # excluded by _check; keeps the types exact
            raise ExpressionError(f"expression {text!r}: only numbers are allowed")
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id in _FUNCS:
            raise ExpressionError(f"expression {text!r}: {node.id} must be called")
        if node.id not in params:
            raise ExpressionError(f"expression {text!r}: unknown parameter {node.id!r}")
        return float(params[node.id])
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, params, text)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left = _eval(node.left, params, text)
        right = _eval(node.right, params, text)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            if right == 0:
                raise ExpressionError(f"expression {text!r} divides by zero")
            return left / right
        if abs(right) > MAX_EXPONENT:
            raise ExpressionError(f"expression {text!r}: exponent above {MAX_EXPONENT:g}")
        if left < 0 and not float(right).is_integer():
            raise ExpressionError(f"expression {text!r}: negative base to a fractional power")
        if left == 0 and right < 0:
            raise ExpressionError(f"expression {text!r} divides by zero")
        return float(left**right)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)  # guaranteed by _check
        args = [_eval(a, params, text) for a in node.args]
        if not all(math.isfinite(a) for a in args):  # min/max would drop a NaN by position
            raise ExpressionError(f"expression {text!r}: {node.func.id}() of a non-finite number")
        return float(_FUNCS[node.func.id](args))
    raise ExpressionError(f"expression {text!r}: {type(node).__name__} is not allowed")
