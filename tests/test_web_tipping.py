"""The web page's tipping points: `POST /api/tipping` answers `detente tipping --no-offers`, and
the page shows them through text nodes only."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's notice that httpx2 will replace httpx
    from fastapi.testclient import TestClient

from detente import api
from detente.web.app import create_app
from detente.web.limits import Limits
from test_tipping import TINY


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Limits(workers=1), None, warm=False), base_url="http://127.0.0.1") as c:
        yield c


def test_tipping_equals_the_api(client: TestClient, tmp_path: Path) -> None:
    answer = client.post("/api/tipping", json={"toml": TINY, "overrides": {"w": 2.5}})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    expected = api.tipping(api.load(path, {"w": 2.5}), offers=False, workers=1).model_dump(mode="json")
    for key in ("points", "closest", "verdicts", "parameters"):
        assert data[key] == expected[key], key
    assert data["workers"] == 1 and not data["offers"]
    flip = next(p for p in data["points"] if (p["verdict"], p["parameter"], p["direction"]) == ("deal", "w", "down"))
    assert 2 - 4e-3 <= flip["flip"] < 2


def test_tipping_refuses_in_one_sentence(client: TestClient) -> None:
    answer = client.post("/api/tipping", json={"toml": TINY, "overrides": {"w": 9}})
    assert answer.status_code == 422
    assert answer.json() == {"detail": "posted TOML: --set w: 9 is outside the parameter's domain [0, 4]"}
    assert client.post("/api/tipping", json={"scenario": "nope"}).status_code == 404


def test_the_page_has_the_section_and_writes_text_only(client: TestClient) -> None:
    page = client.get("/").text
    assert 'id="tipping-section"' in page and 'id="find-tipping"' in page and 'id="tipping-table"' in page
    script = client.get("/static/app.js").text
    assert "/api/tipping" in script and "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "/api/tipping" in client.get("/openapi.json").json()["paths"]
