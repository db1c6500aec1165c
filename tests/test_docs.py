"""The docs' examples run: every `detente ...` shell line exits 0, every API example executes.

Shell lines are taken from ```sh / ```bash / ```shell blocks of README.md and docs/**/*.md.
A TOML block right after an HTML comment ``<!-- file: NAME -->`` is a file the docs ask the
reader to save; commands that name it run against a copy in a temporary folder. Commands whose
scenario is neither such a file, nor a library id, nor a file of the repository are skipped,
and so are lines whose output the docs show (the documented-outputs test runs those and compares
what they print, which says more than an exit code).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from detente.scenario import library
from detente.smp.library import ids as forecast_ids

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
API_DOC = ROOT / "docs" / "reference" / "api.md"

# a server does not exit: `detente serve` is tested by tests/test_web_*.py instead
NOT_RUN = ("detente serve",)
# commands that need something the docs cannot provide: a run id of the reader's store, a cluster,
# a Chrome or Chromium for kaleido (report --figures)
NEEDS_THE_READER = re.compile(r"detente runs (show|export|diff)|tcp://|tls://|--figures")
PROMISED_LIBRARY = {"hanoi-2019", "singapore-2018", "jcpoa-2015"}
SHELL_LANGS = {"sh", "bash", "shell", "console"}
PREFIXES = ("detente ", ".venv/bin/detente ")
OPTIONS_WITH_VALUE = {
    "--set", "--proposal", "--stages", "--robust", "--beliefs", "--samples", "--seed", "--strategies", "--workers",
    "--metric", "--method", "--histories", "--dask", "--store", "--kind", "--limit",
    "-o", "--output", "--simulate", "--sensitivity", "--format",
}
SHELL_OPERATORS = {"|", "||", ">", ">>", "<", "&", "&&", ";", ";;", "2>", "&>"}

FENCE = re.compile(r"^\s*```\s*([\w-]*)")
FILE_MARK = re.compile(r"^\s*<!--\s*file:\s*(\S+)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    doc: str  # path relative to the repository root
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    file: str | None  # the name given by a preceding <!-- file: NAME --> comment


def _blocks(path: Path) -> list[Block]:
    rel = path.relative_to(ROOT).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    pending_file: str | None = None
    while i < len(lines):
        mark = FILE_MARK.match(lines[i])
        if mark:
            pending_file = mark.group(1)
            i += 1
            continue
        fence = FENCE.match(lines[i])
        if not fence:
            if lines[i].strip():
                pending_file = None
            i += 1
            continue
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith("```"):
            body.append(lines[i])
            i += 1
        blocks.append(Block(rel, start + 1, fence.group(1).lower(), "\n".join(body) + "\n", pending_file))
        pending_file = None
        i += 1  # the closing fence
    return blocks


ALL_BLOCKS = [b for doc in DOCS if doc.exists() for b in _blocks(doc)]


def _doc_files() -> dict[str, str]:
    """Files the docs ask the reader to save: name -> content (the same wherever defined)."""
    files: dict[str, str] = {}
    where: dict[str, str] = {}
    for b in ALL_BLOCKS:
        if b.file is None:
            continue
        if b.file in files and files[b.file] != b.text:
            raise AssertionError(
                f"{b.doc}:{b.line} defines {b.file} differently from {where[b.file]}"
            )
        files[b.file] = b.text
        where[b.file] = f"{b.doc}:{b.line}"
    return files


DOC_FILES = _doc_files()


def _split(line: str) -> list[str]:
    """The command's words, up to the first shell operator (pipe, redirection, ...)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words: list[str] = []
    for token in lexer:
        if token in SHELL_OPERATORS:
            break
        words.append(token)
    return words


@dataclass(frozen=True)
class Command:
    doc: str
    line: int
    text: str
    args: tuple[str, ...]  # without the leading `detente`


def _output_commands() -> set[tuple[str, ...]]:
    """The commands of ``<!-- output: CMD -->`` blocks, checked by test_documented_outputs_are_current."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import doc_outputs
    finally:
        sys.path.pop(0)
    return {tuple(_split(b.command)[1:]) for p in doc_outputs.docs() for b in doc_outputs.output_blocks(p)}


def _commands() -> list[Command]:
    found: list[Command] = []
    seen: set[tuple[str, ...]] = _output_commands()
    for b in ALL_BLOCKS:
        if b.lang not in SHELL_LANGS:
            continue
        for offset, raw in enumerate(b.text.splitlines(), start=1):
            text = raw.strip().removeprefix("$ ")
            if not text.startswith(PREFIXES):
                continue
            if any(word in text for word in NOT_RUN) or NEEDS_THE_READER.search(text):
                continue
            args = tuple(_split(text)[1:])
            if args in seen:
                continue
            seen.add(args)
            found.append(Command(b.doc, b.line + offset, text, args))
    return found


COMMANDS = _commands()


def _scenario_position(args: tuple[str, ...]) -> int | None:
    """Index of the scenario argument in ``args``, or None if the command takes none."""
    if not args or "--help" in args:
        return None
    if args[0] == "scenarios":
        if len(args) < 2 or args[1] not in {"show", "validate"}:
            return None
        first = 2
    elif args[0] in {"run", "solve", "audit", "beliefs", "signals", "simulate", "sensitivity", "forecast", "report", "offers", "backtest"}:
        first = 1
    else:
        return None
    i = first
    while i < len(args):
        word = args[i]
        if word in OPTIONS_WITH_VALUE:
            i += 2
            continue
        if not word.startswith("-"):
            return i
        i += 1
    return None


def _resolve(command: Command, folder: Path) -> list[str]:
    """The arguments to run, with doc-defined files replaced by their copies; or skip."""
    args = list(command.args)
    position = _scenario_position(command.args)
    if position is None:
        if args and args[0] == "run" and "--help" not in args:
            scenario = library.DEFAULT_SCENARIO  # `detente run` with no scenario
            if not library.has(scenario):
                pytest.skip(f"library scenario {scenario!r} is not in the library yet")
        return args
    scenario = args[position]
    if scenario in DOC_FILES:
        args[position] = str(folder / scenario)
    elif library.has(scenario) or library.has_case(scenario) or scenario in forecast_ids():
        pass
    elif scenario in PROMISED_LIBRARY:
        pytest.skip(f"library scenario {scenario!r} is not in the library yet")
    elif (ROOT / scenario).is_file() or (ROOT / scenario).is_dir():
        args[position] = str(ROOT / scenario)  # the command runs in the docs' folder
    else:
        pytest.skip(f"{scenario!r} is neither a library id nor a file the docs write")
    return args


@pytest.fixture(scope="module")
def doc_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("doc-files")
    for name, text in DOC_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_docs_have_commands() -> None:
    assert len(COMMANDS) >= 10
    assert "worked.toml" in DOC_FILES and "ceasefire.toml" in DOC_FILES


@pytest.mark.parametrize(
    "command", COMMANDS, ids=[f"{c.doc}:{c.line} detente {shlex.join(c.args)}" for c in COMMANDS]
)
def test_doc_command_exits_0(command: Command, doc_folder: Path) -> None:
    args = _resolve(command, doc_folder)
    out = subprocess.run(
        [sys.executable, "-m", "detente.cli.app", *args],
        cwd=doc_folder,  # files a command writes (an export, a store) land here, not in the repo
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, f"{command.doc}:{command.line}: {command.text}\n{out.stderr}"


API_BLOCKS = [b for b in ALL_BLOCKS if b.lang == "python"]


def test_the_api_doc_has_examples() -> None:
    assert sum(b.doc == API_DOC.relative_to(ROOT).as_posix() for b in API_BLOCKS) >= 2


@pytest.mark.parametrize("block", API_BLOCKS, ids=[f"{b.doc}:{b.line}" for b in API_BLOCKS])
def test_api_example_runs(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    code = compile(block.text, f"{block.doc}:{block.line}", "exec")
    exec(code, {"__name__": "__doc_example__"})


def test_documented_outputs_are_current() -> None:
    """Every ``<!-- output: CMD -->`` block shows what CMD prints today."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import doc_outputs
    finally:
        sys.path.pop(0)
    pairs = doc_outputs.fresh_outputs(doc_outputs.docs())
    assert pairs, "the docs show no command output"
    stale = [f"{b.doc.relative_to(ROOT)}:{b.start}: `{b.command}`" for b, out in pairs if b.shown != out]
    assert not stale, "stale outputs (run `python tools/doc_outputs.py`): " + "; ".join(stale)
