"""Every error of a scenario file at once: `detente scenarios validate` lists them (one a line,
with "did you mean" for misspelt keys and ids), other commands print the first and count the
rest, the API carries them in ``ScenarioError.problems`` and the web API returns them as a list.
The API's own checks name its Python parameters; the CLI names its flags for them."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's notice that httpx2 will replace httpx
    from fastapi.testclient import TestClient

import detente
from detente import api
from detente.errors import ScenarioError
from test_worked_example import WORKED

W = WORKED.decode()

# Four distinct mistakes: a misspelt key, a label that is not text, a number above its bound,
# and a misspelt move id in a proposal (found on the raw file, since the structure is invalid).
FOUR = (
    W.replace("discount = 0.9", "discont = 0.9", 1)
    .replace('label = "b1"', "label = 5", 1)
    .replace("max_stage_moves = 2", "max_stage_moves = 40", 1)
    + '\n[[proposals]]\nid = "p"\nstages = [["a1"], ["bb2"]]\n'
)
PROBLEMS = [
    ("parties[a].discont", "unknown key (did you mean 'discount'?)"),
    ("moves[b1].label", "Input should be a valid string (got 5)"),
    ("solver.max_stage_moves", "Input should be less than or equal to 16 (got 40)"),
    ("proposals[p].stages[2]", "unknown move 'bb2' (did you mean 'b2'?)"),
]


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "detente", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.fixture()
def four(tmp_path: Path) -> Path:
    path = tmp_path / "four.toml"
    path.write_text(FOUR)
    return path


def test_the_api_reports_all_four_at_once(four: Path) -> None:
    with pytest.raises(ScenarioError) as err:
        detente.load(four)
    assert err.value.problems == PROBLEMS
    assert (err.value.key, err.value.reason) == PROBLEMS[0]
    assert str(err.value) == f"{four}: parties[a].discont: unknown key (did you mean 'discount'?) (and 3 more errors)"
    assert err.value.lines()[3] == f"{four}: proposals[p].stages[2]: unknown move 'bb2' (did you mean 'b2'?)"


def test_validate_lists_all_four(four: Path) -> None:
    out = _cli("scenarios", "validate", str(four))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.splitlines() == [f"error: {four}: {key}: {reason}" for key, reason in PROBLEMS]


def test_other_commands_print_the_first_and_count_the_rest(four: Path) -> None:
    out = _cli("run", str(four))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == (
        f"error: {four}: parties[a].discont: unknown key (did you mean 'discount'?) "
        f"(and 3 more errors: `detente scenarios validate {four}` shows all)\n"
    )


def test_the_hint_keeps_the_set_items_the_errors_concern() -> None:
    """Errors in ``--set`` are found only with those items: the command that lists them keeps
    them (for ``compare``, those of the side at fault)."""
    out = _cli("run", "hanoi-2019", "--set", "leakag=0.3", "--set=yongbyon=0.5")
    assert out.returncode == 2 and out.stdout == "" and len(out.stderr.splitlines()) == 1
    assert out.stderr.startswith("error: hanoi-2019: --set leakag: unknown parameter (did you mean 'leakage'?)")
    assert out.stderr.endswith(
        "(and 1 more error: `detente scenarios validate hanoi-2019 --set leakag=0.3 --set yongbyon=0.5` shows all)\n"
    )
    out = _cli("compare", "hanoi-2019", "--set", "leakage=0.3", "--against", "--set", "leakag=0.2", "--set", "us_fac=1")
    assert out.returncode == 2
    assert out.stderr.endswith("`detente scenarios validate hanoi-2019 --set leakag=0.2 --set us_fac=1` shows all)\n")


def test_a_misspelt_key_is_one_error_not_two() -> None:
    """``discont`` leaves ``discount`` missing: the hint says so, and the count has one error."""
    with pytest.raises(ScenarioError) as err:
        detente.load(data=W.replace("discount = 0.8", "discont = 0.8"), origin="typo.toml")
    assert err.value.problems == [("parties[b].discont", "unknown key (did you mean 'discount'?)")]
    assert str(err.value) == "typo.toml: parties[b].discont: unknown key (did you mean 'discount'?)"


def test_resolution_errors_are_gathered_too() -> None:
    """A file whose structure is valid: every part is resolved, each problem reported."""
    text = (
        W.replace("discount = 0.9", 'discount = "1 +"', 1).replace("upfront_cost = 1", "upfront_cost = -1", 1)
        + '\n[[proposals]]\nid = "p"\nstages = [["a1"], ["bb2"]]\n'
    )
    with pytest.raises(ScenarioError) as err:
        detente.load(data=text, origin="late.toml")
    keys = [k for k, _ in err.value.problems]
    assert keys == ["parties[a].discount", "moves[b2].upfront_cost", "proposals[p].stages[2]"]
    assert err.value.problems[2][1] == "unknown move 'bb2' (did you mean 'b2'?)"


def test_a_misspelt_id_in_an_audit_is_hinted() -> None:
    sc = detente.load(data=W + '\n[[proposals]]\nid = "both-ways"\nstages = [["a1"], ["b2"]]\n', origin="w.toml")
    with pytest.raises(detente.ScheduleError, match=r"stages: stage 1: unknown move 'a11' \(did you mean 'a1'\?\)"):
        detente.audit(sc, stages="a11")
    with pytest.raises(detente.ScheduleError, match=r"proposal: unknown proposal 'both-way' \(did you mean 'both-ways'\?\)"):
        detente.audit(sc, proposal="both-way")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from detente.web.app import create_app
    from detente.web.limits import Limits

    with TestClient(create_app(Limits(workers=1), None, warm=False), base_url="http://127.0.0.1") as c:
        yield c


def test_the_web_api_returns_the_list(client: TestClient) -> None:
    answer = client.post("/api/analyse", json={"toml": FOUR})
    assert answer.status_code == 422
    body = answer.json()
    assert body["errors"] == [{"file": "posted TOML", "key": key, "reason": reason} for key, reason in PROBLEMS]
    assert body["detail"] == "posted TOML: parties[a].discont: unknown key (did you mean 'discount'?) (and 3 more errors)"


def test_the_web_takes_values_from_forecasts(client: TestClient) -> None:
    plain = client.post("/api/analyse", json={"scenario": "hanoi-2019"}).json()
    linked = client.post("/api/analyse", json={"scenario": "hanoi-2019", "from_forecast": True}).json()
    assert plain["linked"] == []
    (lv,) = linked["linked"]
    assert lv["parameter"] == "leakage" and lv["sentence"].startswith("leakage = ")
    assert lv["value"] == pytest.approx(detente.load("hanoi-2019", from_forecast=True).parameters["leakage"])
    refused = client.post("/api/analyse", json={"scenario": "jcpoa-2015", "from_forecast": True})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"file": "jcpoa-2015", "key": "from_forecast", "reason": "no parameter of this scenario is linked to a forecast"}
    ]


# ---- the API: bytes, forecast links, sizes; errors that name its parameters


def test_load_takes_bytes_with_an_origin(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_bytes(WORKED)
    from_bytes = detente.load(data=WORKED, origin="upload.toml")
    assert from_bytes.origin == "upload.toml"
    assert from_bytes.content_hash == detente.load(path).content_hash
    assert detente.load(data=W).origin == "<bytes>"
    with pytest.raises(ScenarioError, match="data: give either a source"):
        detente.load(path, data=WORKED)


def test_linked_values_and_from_forecast() -> None:
    (lv,) = detente.linked_values("hanoi-2019")
    sc = detente.load("hanoi-2019", from_forecast=True)
    assert [v.parameter for v in sc.linked] == ["leakage"] and sc.parameters["leakage"] == pytest.approx(lv.value)
    assert detente.load("hanoi-2019", {"leakage": 0.5}, from_forecast=True).parameters["leakage"] == 0.5  # overrides win
    assert detente.linked_values("hanoi-2019", {"leakage": 0.5}) == []
    assert detente.load("hanoi-2019").linked == ()
    with pytest.raises(ScenarioError) as err:
        detente.load("jcpoa-2015", from_forecast=True)
    assert err.value.key == "from_forecast"


def test_the_size_estimate_is_what_the_server_checks() -> None:
    size = detente.scenario_size("hanoi-2019")
    sc = detente.load("hanoi-2019")
    assert (size.moves, size.parties, size.proposals) == (len(sc.moves), len(sc.parties), len(sc.proposals))
    assert size.free_moves == len(sc.moves) - len(sc.initial)
    assert size.transitions > 0 and size.max_stages == sc.solver.max_stages


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda: detente.simulate("hanoi-2019", 0), "samples"),
        (lambda: detente.simulate("hanoi-2019", 10, strategies=["summit-last"]), "strategies"),
        (lambda: detente.simulate("hanoi-2019", 10, workers=0), "workers"),
        (lambda: detente.solve_robust("hanoi-2019", 0.25, beliefs_at="priors"), "beliefs_at"),  # type: ignore[arg-type]
        (lambda: detente.solve_robust("hanoi-2019", 2.0), "tau"),
        (lambda: detente.signals("hanoi-2019", beliefs_at="later"), "beliefs_at"),  # type: ignore[arg-type]
        (lambda: detente.sensitivity("hanoi-2019", metrics="deal-size"), "metrics"),
        (lambda: detente.sensitivity("hanoi-2019", samples=100), "samples"),
        (lambda: detente.audit("hanoi-2019", stages=""), "stages"),
        (lambda: detente.audit("hanoi-2019"), "proposal"),
        (lambda: detente.load("hanoi-2019", {"leakge": 0.3}), "overrides.leakge"),
        (lambda: detente.forecast_monte_carlo("korea-six-party-2019", 10, spreads="colour=2"), "spreads"),
        (lambda: detente.forecast_monte_carlo("korea-six-party-2019", 10, max_turns=0), "max_turns"),
    ],
)
def test_api_errors_name_python_parameters(call, key: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ScenarioError) as err:
        call()
    assert err.value.key == key, str(err.value)
    assert "--" not in str(err.value), str(err.value)


def test_a_misspelt_override_is_hinted() -> None:
    with pytest.raises(ScenarioError, match=r"overrides.leakge: unknown parameter \(did you mean 'leakage'\?\)"):
        detente.load("hanoi-2019", {"leakge": 0.3})


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["simulate", "--samples", "0"], "error: hanoi-2019: --samples: must be at least 1, got 0"),
        (["solve", "hanoi-2019", "--robust", "2"], "error: hanoi-2019: --robust: must lie in [0, 1], got 2"),
        (["run", "--set", "leakge=0.3"], "error: hanoi-2019: --set leakge: unknown parameter (did you mean 'leakage'?)"),
        (["sensitivity", "--metric", "deal-size"], "error: hanoi-2019: --metric: unknown metric 'deal-size'"),
        (["audit", "hanoi-2019", "--stages", "zz"], "error: hanoi-2019: --stages: stage 1: unknown move 'zz'"),
        (["forecast", "--samples", "5", "--vary", "colour=2"], "error: korea-six-party-2019: --vary: expected capability=F"),
    ],
)
def test_the_cli_names_its_flags(args: list[str], line: str) -> None:
    out = _cli(*args, "--no-store") if args[0] in ("simulate", "sensitivity", "forecast") else _cli(*args)
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith(line) and out.stderr.count("\n") == 1, out.stderr


def test_the_library_and_texts() -> None:
    entries = {e.id: e for e in api.scenario_library()}
    assert entries["hanoi-2019"].kind == "bilateral" and entries["hanoi-2019"].moves == len(detente.load("hanoi-2019").moves)
    assert entries["korea-six-party-2019"].kind == "forecast" and entries["korea-six-party-2019"].actors > 2
    origin, data = api.scenario_text("korea-six-party-2019")
    assert origin == "korea-six-party-2019" and b"[forecast]" in data
    assert api.is_forecast("korea-six-party-2019") and not api.is_forecast("hanoi-2019")
    assert api.is_forecast(data=data, origin="posted") and not api.is_forecast(data=WORKED, origin="posted")
    src = api.read_forecast(data=data, origin="posted")
    assert src.id == "korea-six-party-2019" and src.input.name == entries["korea-six-party-2019"].title
