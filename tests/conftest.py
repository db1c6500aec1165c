import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest


@pytest.fixture(autouse=True)
def _private_run_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test records its runs in a fresh store and keeps its results in a fresh cache,
    never in the user's folders (and never meets another test's cached results)."""
    monkeypatch.setenv("DETENTE_STORE", str(tmp_path / "store" / "runs.duckdb"))
    monkeypatch.setenv("DETENTE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`detente serve` as a user starts it, on a free loopback port; its base URL."""
    from live_server import serve

    with serve(tmp_path_factory.mktemp("live") / "runs.duckdb") as url:
        yield url
