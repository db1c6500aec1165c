"""The command line attacked: numbers and names that only look plain, files that are not
what they seem, an export over an existing file, a read-only install, a very long proposal."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_tools import DETENTE, ROOT, measured, one_error_line

from detente.errors import ScenarioError
from detente.scenario.loader import parse_overrides

WORKED = (ROOT / "docs" / "reference" / "cli.md").read_text().split("<!-- file: worked.toml -->\n```toml\n")[1].split("```")[0]


def _run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DETENTE, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


@pytest.fixture(scope="module")
def worked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "worked.toml"
    path.write_text(WORKED)
    return path


@pytest.mark.parametrize("value", ["１０", "1_0", "inf", "-inf", "nan", "0x10", "1e999", "٣", " ", "1,5"])
def test_set_takes_plain_ascii_decimals_only(value: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_overrides([f"b2_detection={value}"])  # "１０" and "1_0" were read as 10
    assert str(err.value).startswith("--set: b2_detection: ") and "\n" not in str(err.value)


def test_set_still_takes_decimals() -> None:
    for value, number in (("0.05", 0.05), ("-0", 0.0), (".5", 0.5), ("5.", 5.0), ("1e-3", 1e-3), ("+0.25", 0.25), ("2E-1", 0.2)):
        assert parse_overrides([f"x={value}"]) == {"x": number}


def test_the_cli_refuses_a_full_width_number_in_one_line(worked: Path) -> None:
    r = _run("scenarios", "validate", str(worked), "--set", "b2_detection=１０")
    assert r.returncode == 2
    assert r.stderr == "error: --set: b2_detection: '１０' uses compatibility characters (U+FF11 '１') that read as '10'; write it in plain ASCII\n"


@pytest.mark.parametrize(
    ("args", "plain"),
    [
        (["solve", "ｈanoi-2019"], "hanoi-2019"),
        (["solve", "hanoi-2019", "--set", "ｌeakage=0.5"], "leakage"),
        (["audit", "hanoi-2019", "--proposal", "ｕs-big-deal"], "us-big-deal"),
    ],
)
def test_lookalike_names_are_refused_in_one_line(args: list[str], plain: str) -> None:
    r = _run(*args, "--json")
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and f"read as '{plain}'" in r.stderr, r.stderr


def test_a_lookalike_in_an_expression_is_refused(worked: Path, tmp_path: Path) -> None:
    odd = tmp_path / "odd.toml"
    odd.write_text(WORKED.replace("value = { b = 3 }", 'value = { b = "3 * ｂ2_detection" }'))
    r = _run("scenarios", "validate", str(odd))
    assert r.returncode == 2  # Python's parser read it as b2_detection: a silent lookalike
    assert "line 26: '3 * ｂ2_detection' uses compatibility characters" in r.stderr, r.stderr


def test_a_bom_is_read_as_utf8_and_utf16_is_named(tmp_path: Path) -> None:
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + WORKED.encode())
    r = _run("scenarios", "validate", str(bom))
    assert r.returncode == 0, r.stderr  # was a cryptic parse error
    wide = tmp_path / "wide.toml"
    wide.write_bytes(WORKED.encode("utf-16"))
    r = _run("scenarios", "validate", str(wide))
    assert r.returncode == 2 and "UTF-16 text" in r.stderr and "save it as UTF-8" in r.stderr


def test_runs_export_does_not_overwrite_without_force(tmp_path: Path) -> None:
    env = os.environ | {"DETENTE_STORE": str(tmp_path / "runs.duckdb")}
    assert _run("solve", "hanoi-2019", env=env).returncode == 0
    rid = _run("runs", "list", "--json", env=env).stdout.split('"id": "')[1][:12]
    target = tmp_path / "precious.csv"
    target.write_text("mine\n")
    r = _run("runs", "export", rid, "--format", "csv", "--table", "schedule", "-o", str(target), env=env)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "add --force" in r.stderr, r.stderr
    assert target.read_text() == "mine\n"  # was overwritten silently
    r = _run("runs", "export", rid, "--format", "csv", "--table", "schedule", "-o", str(target), "--force", env=env)
    assert r.returncode == 0, r.stderr
    assert target.read_text() != "mine\n"


@pytest.fixture(scope="module")
def read_only() -> Iterator[list[str]]:
    """A prefix that runs a command with the package and HOME unwritable: a read-only bind
    mount in a private mount namespace when root (who can write anything else), else a
    write-protected copy of the package."""
    home = Path(tempfile.mkdtemp(prefix="detente-ro-home-"))
    package = Path(__file__).resolve().parents[2] / "src" / "detente"
    if os.geteuid() == 0:
        if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "true"]).returncode != 0:
            pytest.skip("root without mount namespaces: cannot make the install read-only")
        script = (
            f"mount --bind {package} {package} && mount -o remount,bind,ro {package} && "
            f"mount --bind {home} {home} && mount -o remount,bind,ro {home} && exec \"$@\""
        )
        yield ["unshare", "-m", "sh", "-c", script, "sh", "env", f"HOME={home}"]
    else:
        copy = Path(tempfile.mkdtemp(prefix="detente-ro-pkg-"))
        shutil.copytree(package, copy / "detente", ignore=shutil.ignore_patterns("__pycache__"))
        for path in [copy, *copy.rglob("*"), home]:
            path.chmod(path.stat().st_mode & ~0o222)
        yield ["env", f"HOME={home}", f"PYTHONPATH={copy}"]
        for path in [copy, *copy.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
        shutil.rmtree(copy)
    home.chmod(0o700)
    shutil.rmtree(home)


def test_a_read_only_install_runs_without_a_word(read_only: list[str], tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "DETENTE_DEBUG"))}
    env["DETENTE_STORE"] = str(tmp_path / "runs.duckdb")
    r = subprocess.run([*read_only, *DETENTE, "--help"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and r.stderr == "", r.stderr[-3000:]  # died at import: no cache locator
    r = subprocess.run([*read_only, *DETENTE, "solve", "hanoi-2019", "--json"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0 and '"values"' in r.stdout, r.stderr[-3000:]
    assert r.stderr.startswith("recorded as run ") and r.stderr.count("\n") == 1, r.stderr  # no word about the cache
    r = subprocess.run([*read_only, *DETENTE, "--help"], capture_output=True, text=True, env=env | {"DETENTE_DEBUG": "1"}, timeout=120)
    assert r.returncode == 0 and "compiled kernels are cached in" in r.stderr, r.stderr


def test_with_no_writable_place_at_all_the_kernels_run_uncached(read_only: list[str], tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.mkdir()
    closed.chmod(0o500)
    prefix = read_only
    if os.geteuid() == 0:  # root writes through chmod: make the temporary directory read-only too
        mount = f'&& mount --bind {closed} {closed} && mount -o remount,bind,ro {closed} && exec "$@"'
        prefix = [*read_only[:4], read_only[4].replace('&& exec "$@"', mount), *read_only[5:]]
    # the temporary directory is the closed one, without tempfile's fallback to another
    code = f"import sys, tempfile; tempfile.tempdir = {str(closed)!r}; sys.argv = ['detente', '--help']; " \
        "from detente.cli.app import main; main()"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")} | {"DETENTE_DEBUG": "1"}
    r = subprocess.run([*prefix, sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "compiled at each run" in r.stderr, r.stderr


def test_auditing_a_proposal_of_1000_stages_is_bounded(tmp_path: Path) -> None:
    lines = ['[scenario]', 'id = "long"', 'title = "A proposal of 1,000 stages"', '']
    for p, d in (("a", 0.9), ("b", 0.85)):
        lines += ['[[parties]]', f'id = "{p}"', f'name = "{p.upper()}"', f'discount = {d}', '']
    for p, q in (("a", "b"), ("b", "a")):
        for i in range(500):
            lines += ['[[moves]]', f'id = "{p}{i}"', f'owner = "{p}"', f'label = "{p}{i}"', "cost = 0.01", f"value = {{ {q} = 0.02 }}", '']
    stages = ", ".join(f'["a{i}"], ["b{i}"]' for i in range(500))
    lines += ['[[proposals]]', 'id = "long"', 'label = "long"', f"stages = [{stages}]", '']
    path = tmp_path / "long.toml"
    path.write_text("\n".join(lines))
    out = measured([*DETENTE, "audit", str(path), "--proposal", "long", "--json"], timeout=15)
    assert not out.timed_out, "took more than 15 s (53 s before, cubic in stages)"
    assert out.code == 2 and one_error_line(out).startswith("error: ")
    assert "the audit takes at most 256 stages" in one_error_line(out)
    assert out.peak_mb < 1000


def test_auditing_256_stages_is_quadratic_at_most(tmp_path: Path) -> None:
    """The largest schedule the audit takes, with a covert-path cheat set at every stage: done
    in seconds (it took minutes when the path check was cubic in the stages)."""
    lines = ['[scenario]', 'id = "long"', 'title = "256 stages"', '']
    for p, d in (("a", 0.9), ("b", 0.85)):
        lines += ['[[parties]]', f'id = "{p}"', f'name = "{p.upper()}"', f'discount = {d}', '']
    for p, q in (("a", "b"), ("b", "a")):
        for i in range(128):
            lines += ['[[moves]]', f'id = "{p}{i}"', f'owner = "{p}"', f'label = "{p}{i}"', "cost = 0.01",
                      f"value = {{ {q} = 0.02 }}", "reversible = true", "verifiability = 0.5", '']
    stages = ", ".join(f'["a{i}"], ["b{i}"]' for i in range(128))
    lines += ['[[proposals]]', 'id = "long"', 'label = "long"', f"stages = [{stages}]", '']
    path = tmp_path / "long.toml"
    path.write_text("\n".join(lines))
    out = measured([*DETENTE, "audit", str(path), "--proposal", "long", "--json"], timeout=120)
    assert not out.timed_out
    assert out.code == 0
    assert out.peak_mb < 1000
