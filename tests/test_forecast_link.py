"""A bilateral parameter from a multi-actor forecast: hanoi-2019's leakage from where
China and Russia end up on the enforcement of sanctions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import detente
from detente.errors import ScenarioError
from detente.scenario import library
from detente.scenario.loader import read_source
from detente.smp.link import linked_values


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "detente", *args], capture_output=True, text=True, timeout=300)


def test_leakage_is_the_mapped_weighted_mean_of_china_and_russia() -> None:
    sc = detente.load("hanoi-2019")
    assert sc.spec is not None
    p = sc.spec.parameters["leakage"]
    assert p.forecast is not None
    (lv,) = linked_values(sc.origin, {"leakage": (p.value, p.forecast)})
    f = detente.forecast("korea-six-party-2019")
    china, russia = f.actors.index("China"), f.actors.index("Russia")
    # capabilities 85 and 35 (the case file); sanctions is dimension 0
    x = (85 * f.positions[-1][china][0] + 35 * f.positions[-1][russia][0]) / 120 * 100
    assert lv.final == pytest.approx(x)
    assert lv.value == pytest.approx(0.52 * (1 - x / 100))
    # calibrated: the forecast's starting positions give the scenario's own value
    assert lv.start == pytest.approx((85 * 35 + 35 * 25) / 120)
    assert 0.52 * (1 - lv.start / 100) == pytest.approx(0.35, abs=0.005)


def test_run_from_forecast_uses_it_and_set_wins() -> None:
    out = _cli("run", "--from-forecast", "--json")
    assert out.returncode == 0, out.stderr
    assert out.stderr.startswith("leakage = 0.257 from forecast korea-six-party-2019")
    linked = json.loads(out.stdout)
    sc = detente.load("hanoi-2019")
    assert sc.spec is not None and sc.spec.parameters["leakage"].forecast is not None
    (lv,) = linked_values(sc.origin, {"leakage": (0.35, sc.spec.parameters["leakage"].forecast)})
    plain = json.loads(_cli("run", "--set", f"leakage={lv.value!r}", "--json").stdout)
    for result in (linked, plain):
        result["solve"]["solver"].pop("seconds")
    assert linked["solve"] == plain["solve"]
    forced = _cli("run", "--from-forecast", "--set", "leakage=0.5", "--json")
    assert forced.returncode == 0 and "leakage" not in forced.stderr


def test_a_scenario_without_links_says_so() -> None:
    out = _cli("run", "jcpoa-2015", "--from-forecast")
    assert out.returncode == 2
    assert out.stderr.strip() == "error: jcpoa-2015: --from-forecast: no parameter of this scenario is linked to a forecast"


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        ('dimension = "sanctions"', 'dimension = "trade"', "parameters.leakage.forecast.dimension", "has no dimension 'trade'"),
        ('actors = ["china", "russia"]', 'actors = ["china", "india"]', "parameters.leakage.forecast.actors", "has no actor 'india'"),
        ('scenario = "korea-six-party-2019"', 'scenario = "korea-2030"', "parameters.leakage.forecast.scenario", "no built-in forecast scenario 'korea-2030'"),
    ],
)
def test_bad_links_are_one_line(tmp_path: Path, old: str, new: str, key: str, reason: str) -> None:
    _, data = read_source(library.DEFAULT_SCENARIO)
    text = data.decode()
    assert old in text
    path = tmp_path / "h.toml"
    path.write_text(text.replace(old, new))
    sc = detente.load(path)
    assert sc.spec is not None
    p = sc.spec.parameters["leakage"]
    assert p.forecast is not None
    with pytest.raises(ScenarioError) as err:
        linked_values(sc.origin, {"leakage": (p.value, p.forecast)})
    assert err.value.key == key and reason in err.value.reason
    out = _cli("run", str(path), "--from-forecast")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and key in out.stderr
