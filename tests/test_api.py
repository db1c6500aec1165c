"""The public API: a curated ``__all__`` and typed results."""

from __future__ import annotations

import detente
from detente.results import AuditResult, SolveResult
from test_worked_example import WORKED


def test_all_is_exactly_the_public_names() -> None:
    import types

    # classes are imported on first use: __all__ and dir() must still agree
    public = {n for n in dir(detente) if not n.startswith("_") and not isinstance(getattr(detente, n), types.ModuleType)}
    assert set(detente.__all__) == public - {"annotations", "importlib", "TYPE_CHECKING", "Any"} | {"__version__"}
    assert callable(detente.beliefs)  # the function, not the subpackage of the same name
    detente.beliefs("hanoi-2019")
    assert callable(detente.beliefs)
    for name in detente.__all__:
        assert hasattr(detente, name)
    try:
        detente.not_a_name  # noqa: B018
    except AttributeError as exc:
        assert "not_a_name" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")


def test_import_is_light() -> None:
    """``import detente`` and the CLI's module load no numba, scipy or pandas (start-up)."""
    import subprocess
    import sys

    code = (
        "import sys, detente, detente.cli.app; "
        "print(sorted(m for m in ('numba', 'scipy', 'pandas', 'plotly', 'SALib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


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
