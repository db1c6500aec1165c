import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest


@pytest.fixture(autouse=True)
def _private_run_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test records its runs in a fresh store, never in the user's data directory."""
    monkeypatch.setenv("DETENTE_STORE", str(tmp_path / "store" / "runs.duckdb"))
