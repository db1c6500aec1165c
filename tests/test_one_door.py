"""One door in: the command line and the web server reach detente's engines through
``detente.api`` only.

Every import of every module of ``detente.cli`` and ``detente.web`` is read from its source
(module level, inside functions, under ``TYPE_CHECKING``) and must be one of:

- the API and what it returns and raises: ``detente.api``, ``detente.results``,
  ``detente.errors``, ``detente.defaults``, and the package's own public names
  (``from detente import Scenario``: ``detente.__all__``, ``api``, ``__version__``);
- the views and the store the front ends own: ``detente.report``, ``detente.store``, and each
  other's modules (``detente.cli``, ``detente.web``: ``detente serve`` starts the server);
- process plumbing shared with the engines, which holds no model: ``detente.parallel`` (worker
  pools, interruption), ``detente.workers`` (their memory limit) and ``detente.cache`` (results
  kept on disk);
- the standard library and third-party packages.

The loader, the forecast model, the analyses, the game and the solvers are reached through
``detente.api`` alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import detente

SRC = Path(__file__).resolve().parents[1] / "src" / "detente"
ALLOWED = (
    "detente.api",
    "detente.results",
    "detente.errors",
    "detente.defaults",
    "detente.report",
    "detente.store",
    "detente.cli",
    "detente.web",
    "detente.parallel",
    "detente.workers",
    "detente.cache",
)
PACKAGE_NAMES = {*detente.__all__, "api", "__version__"}
MODULES = sorted([*(SRC / "cli").glob("*.py"), *(SRC / "web").glob("*.py")])


def _is_module(name: str) -> bool:
    parts = name.split(".")
    path = SRC.joinpath(*parts[1:])
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, what is imported) for every import in the file: a module, or ``detente:NAME``
    for a name taken from the package itself."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                out.append((node.lineno, "." * node.level + (node.module or "")))  # relative: refused below
                continue
            module = node.module or ""
            for alias in node.names:
                full = f"{module}.{alias.name}"
                if module.startswith("detente") and _is_module(full):
                    out.append((node.lineno, full))
                elif module == "detente":
                    out.append((node.lineno, f"detente:{alias.name}"))
                else:
                    out.append((node.lineno, module))
    return out


def allowed(name: str) -> bool:
    if name.startswith("detente:"):
        return name.removeprefix("detente:") in PACKAGE_NAMES
    if name.startswith("."):
        return False
    if name != "detente" and not name.startswith("detente."):
        return True  # the standard library and third-party packages
    return any(name == a or name.startswith(a + ".") for a in ALLOWED)


def test_the_walk_sees_what_it_must() -> None:
    assert len(MODULES) > 15
    found = {name for path in MODULES for _, name in imports(path)}
    assert "detente.api" in found and "detente:Scenario" in found  # module level, TYPE_CHECKING
    assert not allowed("detente.scenario.loader") and not allowed("detente.smp.link") and not allowed("detente:scenario")
    assert not allowed("detente.analysis.sweep") and not allowed("detente.uncertainty.simulate")
    assert not allowed("detente.scenario.library") and not allowed("detente.smp.results")
    assert allowed("detente.store.tables") and allowed("typer") and allowed("detente:ScenarioError")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_front_ends_import_only_the_api(path: Path) -> None:
    wrong = [f"line {line}: {name}" for line, name in imports(path) if not allowed(name)]
    assert not wrong, f"{path.relative_to(SRC.parent)} reaches past detente.api: " + "; ".join(wrong)
