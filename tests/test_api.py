"""The public API: a curated ``__all__`` and typed results."""

from __future__ import annotations

import detente
from detente.results import AuditResult, SolveResult
from test_worked_example import WORKED


def test_all_is_exactly_the_public_names() -> None:
    public = {name for name in vars(detente) if not name.startswith("_")}
    modules = {"api", "errors", "results", "scenario", "model", "solvers", "analysis", "cli", "uncertainty", "parallel", "store", "smp", "report", "web", "workers"}
    assert set(detente.__all__) == (public - modules) | {"__version__"}
    for name in detente.__all__:
        assert hasattr(detente, name)


def test_api_returns_typed_results(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "worked.toml"
    path.write_bytes(WORKED)
    scenario = detente.load(path)
    solved = detente.solve(scenario)
    assert isinstance(solved, SolveResult)
    assert solved.deal and solved.schedule == [["a1"], ["b2"], ["b1"]]
    audited = detente.audit(scenario, stages="a1,b1,b2")
    assert isinstance(audited, AuditResult)
    assert audited.feasible and not audited.individually_rational
    same = detente.audit(scenario, stages=[["a1", "b1", "b2"]])
    assert same.model_dump() == audited.model_dump()


def test_overrides_change_the_answer(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = WORKED.replace(b"[[parties]]\nid = \"a\"", b"[parameters]\nda = { value = 0.9, note = \"x\" }\n\n[[parties]]\nid = \"a\"", 1)
    text = text.replace(b"discount = 0.9", b"discount = \"da\"", 1)
    path = tmp_path / "param.toml"
    path.write_bytes(text)
    base = detente.solve(detente.load(path))
    patient = detente.solve(detente.load(path, {"da": 0.5}))
    assert base.values is not None
    assert base.values["a"] != (patient.values or {}).get("a")
