"""Bad input through the real command: one line on stderr ("error: FILE: KEY: reason"), exit
code 2, no traceback, nothing on stdout (nothing was computed or printed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from detente.scenario import loader
from test_worked_example import WORKED

W = WORKED.decode()
PROPOSAL = '\n[[proposals]]\nid = "p"\n'


def _detente(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "detente.cli.app", *args],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
        cwd=cwd,
    )


def edit(old: str, new: str, text: str = W) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def after(anchor: str, extra: str, text: str = W) -> str:
    return edit(anchor + "\n", anchor + "\n" + extra + "\n", text=text)


def assert_one_line_error(out: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 2, nothing on stdout, exactly one non-empty 'error:' line on stderr, no traceback."""
    assert "Traceback" not in out.stdout + out.stderr, out.stderr[-2000:]
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    assert out.stdout == "", out.stdout[:2000]
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and out.stderr.endswith("\n"), f"not one line: {out.stderr[:2000]!r}"
    line = lines[0]
    assert line.startswith("error:"), line
    assert line.strip() != "error:", line
    for needle in needles:
        assert needle in line, (needle, line)
    return line


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-errors")


@pytest.fixture(scope="module")
def worked(folder: Path) -> Path:
    path = folder / "worked.toml"
    path.write_bytes(WORKED)
    return path


def _write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# (file name, content, command, key expected in the message, a word of the reason)
BAD_FILES = [
    pytest.param("unknown-key.toml", after('name = "A"', "colour = 1"), "validate", "parties[a].colour", "unknown key", id="unknown-key"),
    pytest.param("missing-key.toml", edit('label = "b1"\n', ""), "solve", "moves[b1].label", "missing", id="missing-key"),
    pytest.param("wrong-type.toml", edit("reversible = true", 'reversible = "yes"'), "run", "moves[a1].reversible", "boolean", id="string-for-bool"),
    pytest.param("unknown-owner.toml", edit('owner = "a"', 'owner = "zz"'), "solve", "moves[a1].owner", "unknown party", id="unknown-owner"),
    pytest.param("duplicate.toml", W + '[[moves]]\nid = "b1"\nowner = "a"\nlabel = "again"\n', "validate", "moves", "duplicate", id="duplicate-move"),
    pytest.param(
        "cycle.toml",
        after('label = "b1"', 'requires = ["a1"]', text=after('label = "a1"', 'requires = ["b1"]')),
        "run",
        "requires",
        "cycle",
        id="requires-cycle",
    ),
    pytest.param("probability.toml", edit("verifiability = 0.3", "verifiability = 1.5"), "solve", "moves[b2].verifiability", "[0, 1]", id="probability"),
    pytest.param("discount.toml", edit("discount = 0.9", "discount = 1"), "run", "parties[a].discount", "between 0 and 1", id="discount-1"),
    pytest.param("negative.toml", edit("upfront_cost = 1", "upfront_cost = -1"), "validate", "moves[b2].upfront_cost", "negative", id="negative-upfront"),
    pytest.param("power.toml", after('name = "A"', "bargaining_power = 1"), "solve", "parties[b].bargaining_power", "every party", id="bargaining-power"),
    pytest.param("syntax.toml", edit("value = { b = 3 }", 'value = { b = "3 *" }'), "run", "moves[a1].value.b", "syntax", id="expression-syntax"),
    pytest.param("zero.toml", edit("value = { b = 3 }", 'value = { b = "3 / 0" }'), "solve", "moves[a1].value.b", "zero", id="division-by-zero"),
    pytest.param("stage.toml", W + PROPOSAL + 'stages = [["a1"], []]\n', "run", "proposals[p].stages[2]", "empty", id="empty-stage"),
    pytest.param("empty.toml", "", "run", "", "empty", id="empty-file"),
    pytest.param("blank.toml", "  \n\n\t\n", "solve", "", "empty", id="whitespace-file"),
    pytest.param("binary.toml", b"\x7fELF\x02\x01\x01\x00\x00\x00", "validate", "", "binary", id="binary"),
    pytest.param("latin1.toml", WORKED.replace(b'name = "A"', b'name = "\xc9tats-Unis"'), "solve", "", "UTF-8", id="invalid-utf8"),
    pytest.param("invalid.toml", W + "\nfoo = = 1\n", "run", "", "line", id="invalid-toml"),
]

COMMANDS = {
    "run": ["run"],
    "solve": ["solve"],
    "validate": ["scenarios", "validate"],
}


@pytest.mark.parametrize(("name", "data", "command", "key", "word"), BAD_FILES)
def test_bad_file(folder: Path, name: str, data: str | bytes, command: str, key: str, word: str) -> None:
    path = _write(folder, name, data)
    out = _detente(*COMMANDS[command], str(path))
    line = assert_one_line_error(out, str(path), key, word)
    assert line.startswith(f"error: {path}")


@pytest.mark.parametrize("command", ["run", "solve", "validate"])
def test_bad_file_with_json_output_prints_no_json(folder: Path, command: str) -> None:
    path = _write(folder, f"json-{command}.toml", edit("discount = 0.9", "discount = 0"))
    args = [*COMMANDS[command], str(path)] + (["--json"] if command != "validate" else [])
    assert_one_line_error(_detente(*args), str(path), "parties[a].discount")


def test_audit_bad_file(folder: Path) -> None:
    path = _write(folder, "audit-bad.toml", after('label = "a1"', 'requires = ["a1"]'))
    out = _detente("audit", str(path), "--stages", "a1;b1")
    assert_one_line_error(out, str(path), "moves[a1].requires", "itself")


def test_validate_expression_with_import_is_refused_and_not_run(folder: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    expression = f"__import__('os').system('touch {marker}')"
    path = _write(folder, "import.toml", edit("value = { b = 3 }", f'value = {{ b = "{expression}" }}'))
    out = _detente("scenarios", "validate", str(path), cwd=tmp_path)
    assert_one_line_error(out, str(path), "moves[a1].value.b", "min() and max()")
    assert not marker.exists()
    assert list(tmp_path.iterdir()) == []


def test_directory(folder: Path) -> None:
    path = folder / "a-directory.toml"
    path.mkdir(exist_ok=True)
    assert_one_line_error(_detente("scenarios", "validate", str(path)), str(path), "directory")


def test_missing_file(folder: Path) -> None:
    path = folder / "missing.toml"
    assert_one_line_error(_detente("solve", str(path)), str(path), "no such file")


def test_run_unknown_scenario(tmp_path: Path) -> None:
    out = _detente("run", "no-such-scenario", cwd=tmp_path)
    assert_one_line_error(out, "no-such-scenario", "no such file")


def test_file_above_the_size_limit(folder: Path) -> None:
    path = folder / "huge.toml"
    path.write_bytes(WORKED + b"#" * loader.MAX_FILE_BYTES + b"\n")
    assert_one_line_error(_detente("scenarios", "validate", str(path)), str(path), "limit")


# ---------------------------------------------------------------------------------------------
# audit: bad schedules and proposals; --set


def test_audit_unknown_move_in_stages(worked: Path) -> None:
    out = _detente("audit", str(worked), "--stages", "a1,zz")
    assert_one_line_error(out, str(worked), "--stages", "unknown move", "'zz'")


def test_audit_empty_stages(worked: Path) -> None:
    out = _detente("audit", str(worked), "--stages", ";")
    assert_one_line_error(out, str(worked), "--stages", "empty")


def test_audit_blank_stages(worked: Path) -> None:
    out = _detente("audit", str(worked), "--stages", "  ")
    assert_one_line_error(out, str(worked), "--stages", "empty")


def test_audit_move_twice(worked: Path) -> None:
    out = _detente("audit", str(worked), "--stages", "a1;a1,b1")
    assert_one_line_error(out, str(worked), "--stages", "twice")


def test_audit_unknown_proposal(worked: Path) -> None:
    out = _detente("audit", str(worked), "--proposal", "nope")
    assert_one_line_error(out, str(worked), "--proposal", "unknown proposal", "'nope'")


def test_audit_needs_exactly_one_of_proposal_and_stages(worked: Path) -> None:
    out = _detente("audit", str(worked), "--proposal", "p", "--stages", "a1")
    assert_one_line_error(out, str(worked), "--proposal", "--stages")
    out = _detente("audit", str(worked))
    assert_one_line_error(out, str(worked), "--proposal", "--stages")


def test_set_unknown_parameter(worked: Path) -> None:
    out = _detente("solve", str(worked), "--set", "nope=1")
    assert_one_line_error(out, str(worked), "--set nope", "unknown parameter")


@pytest.mark.parametrize(
    ("item", "word"),
    [("leak=abc", "not a number"), ("leak=nan", "finite"), ("leak", "name=value")],
)
def test_set_bad_values(folder: Path, item: str, word: str) -> None:
    path = _write(folder, "with-param.toml", "[parameters]\nleak = { value = 0.3 }\n" + W)
    out = _detente("run", str(path), "--set", item)
    assert_one_line_error(out, "--set", "leak", word)


# ---------------------------------------------------------------------------------------------
# Known bugs: the rule does not hold yet


def test_deeply_nested_toml(folder: Path) -> None:
    path = _write(folder, "deep.toml", b"x = " + b"[" * 100_000)
    assert_one_line_error(_detente("scenarios", "validate", str(path)), str(path))


def test_integer_with_too_many_digits(folder: Path) -> None:
    path = _write(folder, "digits.toml", edit("cost = 2", "cost = 1" + "0" * 5000))
    assert_one_line_error(_detente("solve", str(path)), str(path))


def test_show_invalid_utf8(folder: Path) -> None:
    path = _write(folder, "show-latin1.toml", b"\xff\xfe[scenario]\n")
    assert_one_line_error(_detente("scenarios", "show", str(path)), str(path), "UTF-8")


def test_newline_in_an_unknown_key(folder: Path) -> None:
    path = _write(folder, "newline-key.toml", '"col\\nour" = 1\n' + W)
    assert_one_line_error(_detente("scenarios", "validate", str(path)), str(path), "unknown key")


# ---------------------------------------------------------------------------------------------
# The good paths of the same commands


def test_validate_a_good_file(worked: Path) -> None:
    out = _detente("scenarios", "validate", str(worked))
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    assert "valid" in out.stdout and "worked-example" in out.stdout


def test_schema_is_json_with_moves() -> None:
    out = _detente("scenarios", "schema")
    assert out.returncode == 0, out.stderr
    schema = json.loads(out.stdout)
    assert "properties" in schema
    assert "moves" in schema["properties"]
    assert {"scenario", "parties", "moves"} <= set(schema.get("required", []))
