"""The result cache of `detente run`: a warm run prints what a cold run prints, and any change
of input, option or code computes afresh (docs/reference/cli.md, "The result cache")."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente import api, cache
from detente.cli.app import app
from detente.results import Analysis
from test_worked_example import WORKED


@pytest.fixture
def worked(tmp_path: Path) -> Path:
    path = tmp_path / "worked.toml"
    path.write_bytes(WORKED)
    return path


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Each real analysis, counted: a run served from the cache adds none."""
    seen: list[float] = []
    real = api.analyse

    def counted(sc: object, tau: float = 0.25) -> Analysis:
        seen.append(tau)
        return real(sc, tau)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "analyse", counted)
    return seen


def _run(*args: str, hit: bool = False) -> str:
    """The printed output; standard error says whether it came from the cache."""
    out = CliRunner().invoke(app, ["run", *args], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert ("from the result cache" in out.stderr) is hit, out.stderr
    return out.stdout


def _stable(text: str) -> object:
    """The JSON output without the solver's timings, which differ between two computations."""

    def strip(x: object) -> object:
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "seconds"}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    return strip(json.loads(text))


def _entries() -> list[Path]:
    return sorted(cache.folder().glob("*.json"))


def test_warm_run_prints_what_the_cold_run_printed(worked: Path, calls: list[float]) -> None:
    cold = _run(str(worked))
    assert len(calls) == 1 and len(_entries()) == 2  # the analysis and the tipping points
    warm = _run(str(worked), hit=True)
    assert warm == cold
    assert len(calls) == 1  # nothing computed the second time
    fresh = _run(str(worked), "--no-cache")
    assert fresh == cold and len(calls) == 2


def test_json_output_is_the_same_from_the_cache(worked: Path, calls: list[float]) -> None:
    cold = json.loads(_run(str(worked), "--json"))
    warm = json.loads(_run(str(worked), "--json", hit=True))
    assert warm == cold and len(calls) == 1
    assert _stable(json.dumps(warm)) == _stable(api.analyse(api.load(worked)).model_dump_json())


def test_every_input_and_option_is_in_the_key(worked: Path, calls: list[float]) -> None:
    _run(str(worked), "--json")
    _run(str(worked), "--json", "--robust", "0.5")
    assert calls == [0.25, 0.5]
    _run(str(worked), "--json", "--set", "parties.a.discount=0.91")
    assert len(calls) == 3
    worked.write_bytes(WORKED.replace(b"\n", b"\n\n", 1))  # same model, new content
    _run(str(worked), "--json")
    assert len(calls) == 4


def test_a_change_of_code_computes_afresh(worked: Path, calls: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    _run(str(worked), "--json")
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "another build")
    _run(str(worked), "--json")
    assert len(calls) == 2


def test_the_fingerprint_covers_every_source_file() -> None:
    package = Path(cache.__file__).parent
    cache.code_fingerprint.cache_clear()
    before = cache.code_fingerprint()
    assert cache.code_fingerprint() == before  # stable
    sources = [p for p in package.rglob("*.py") if "__pycache__" not in p.parts]
    assert len(sources) > 50 and any(p.parent.name == "solvers" for p in sources)


def test_a_damaged_entry_is_a_miss_and_is_removed(worked: Path, calls: list[float]) -> None:
    cold = _run(str(worked), "--json")
    for path in _entries():
        path.write_text('{"scenario": 3', encoding="utf-8")
    assert _stable(_run(str(worked), "--json")) == _stable(cold)
    assert len(calls) == 2
    assert all(p.read_text(encoding="utf-8") != '{"scenario": 3' for p in _entries())


def test_cache_off_and_unwritable_folder_compute_and_say_nothing(
    worked: Path, calls: list[float], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DETENTE_CACHE", "off")
    first = _run(str(worked), "--json")
    _run(str(worked), "--json")
    assert len(calls) == 2 and not _entries()
    monkeypatch.delenv("DETENTE_CACHE")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("DETENTE_CACHE_DIR", str(blocker / "cache"))
    assert _stable(_run(str(worked), "--json")) == _stable(first)
    assert len(calls) == 3


def test_the_folder_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    for i in range(7):
        assert cache.cached("square", i, int, partial(pow, i, 2)) == i * i
    assert len(_entries()) == 3
    assert cache.cached("square", 6, int, lambda: -1) == 36  # the newest kept


def test_results_of_one_kind_never_answer_another() -> None:
    assert cache.cached("one", [1], str, lambda: "one") == "one"
    assert cache.cached("two", [1], str, lambda: "two") == "two"
    assert cache.cached("one", [1], str, lambda: "other") == "one"


def test_parameters_and_forecast_links_are_in_the_key(worked: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A parameter set by --set or taken from the forecast changes the key (the analysis is
    stood in by the worked example's, so only the key is tested here)."""
    answer = api.analyse(api.load(worked))
    seen: list[dict[str, float]] = []

    def stand_in(sc: api.Scenario, tau: float = 0.25) -> Analysis:
        seen.append(dict(sc.parameters))
        return answer

    monkeypatch.setattr(api, "analyse", stand_in)
    _run("hanoi-2019", "--json")
    _run("hanoi-2019", "--json", hit=True)
    _run("hanoi-2019", "--json", "--set", "leakage=0.5")
    _run("hanoi-2019", "--json", "--from-forecast")
    assert len(seen) == 3
    assert seen[1]["leakage"] == 0.5 and seen[2]["leakage"] != seen[0]["leakage"]


def test_a_folder_others_may_write_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    monkeypatch.setenv("DETENTE_CACHE_DIR", str(shared))
    assert cache.cached("answer", 1, str, lambda: "computed") == "computed"
    shared.chmod(0o777)
    (shared / f"{cache.key('answer', 2)}.json").write_text('"planted"', encoding="utf-8")
    assert cache.cached("answer", 2, str, lambda: "computed") == "computed"
    assert cache.cached("answer", 1, str, lambda: "again") == "again"  # not read either
