"""Keep the outputs shown in the docs true: re-run each documented command and compare or rewrite.

A block of output in the docs is a fenced ``text`` block right after a comment naming its command:

    <!-- output: detente audit hanoi-2019 --proposal us-big-deal -->
    ```text
    ...
    ```

``<!-- output: CMD; lines A-B -->`` keeps lines A to B only (1-based, inclusive). Commands run with
``COLUMNS=100`` (the tables' width) in a folder holding the files the docs ask the reader to save
(``<!-- file: NAME -->`` blocks), stderr merged into stdout, as a reader would see them (less the run store's
``recorded as run ID`` line). Timings
(``"seconds"`` in JSON, simulate's "N s on W workers") differ from run to run: they are kept as
shown and not compared.

    python tools/doc_outputs.py          # rewrite every output block
    python tools/doc_outputs.py --check  # exit 1 if any is stale (tests/test_docs.py does this)
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_MARK = re.compile(r"^<!--\s*output:\s*(.+?)\s*(?:;\s*lines\s+(\d+)-(\d+)\s*)?-->\s*$")
FILE_MARK = re.compile(r"^\s*<!--\s*file:\s*(\S+)\s*-->\s*$")
WIDTH = "100"
# Numbers that change from run to run (timings): compared as "any number", shown as first written.
VOLATILE = (
    re.compile(r'("seconds": )([0-9.eE+-]+)'),
    re.compile(r"(; )([0-9.]+)(?= s, )"),  # simulate's and sensitivity's first line
)


def docs() -> list[Path]:
    return sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]


@dataclass(frozen=True)
class OutputBlock:
    doc: Path
    start: int  # index of the first line inside the fence
    end: int  # index of the closing fence
    command: str
    lines: tuple[int, int] | None
    shown: str


def output_blocks(path: Path) -> list[OutputBlock]:
    text = path.read_text(encoding="utf-8").splitlines()
    found = []
    for i, line in enumerate(text):
        mark = OUTPUT_MARK.match(line.strip())
        if not mark or i + 1 >= len(text) or not text[i + 1].strip().startswith("```"):
            continue
        end = i + 2
        while end < len(text) and not text[end].strip().startswith("```"):
            end += 1
        lines = (int(mark.group(2)), int(mark.group(3))) if mark.group(2) else None
        shown = "\n".join(text[i + 2 : end])
        found.append(OutputBlock(path, i + 2, end, mark.group(1), lines, shown))
    return found


def doc_files(paths: Iterable[Path]) -> dict[str, str]:
    """The files the docs ask the reader to save: name -> content."""
    files: dict[str, str] = {}
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            mark = FILE_MARK.match(line)
            if not mark or i + 1 >= len(lines) or not lines[i + 1].strip().startswith("```"):
                continue
            body = []
            j = i + 2
            while j < len(lines) and not lines[j].strip().startswith("```"):
                body.append(lines[j])
                j += 1
            files[mark.group(1)] = "\n".join(body) + "\n"
    return files


def run(command: str, folder: Path) -> str:
    """The command's output as a reader sees it in a 100-column terminal."""
    words = shlex.split(command)
    if not words or words[0] != "detente":
        raise ValueError(f"output blocks run detente commands only, not {command!r}")
    env = {
        **os.environ,
        "COLUMNS": WIDTH,
        "NO_COLOR": "1",
        "TERM": "dumb",
        "DETENTE_STORE": str(folder / "runs.duckdb"),  # never the reader's own store
        "DETENTE_CACHE": "off",  # what a reader's first run prints
    }
    done = subprocess.run(
        [sys.executable, "-m", "detente", *words[1:]],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
        check=False,
    )
    return done.stdout


STORE_LINE = re.compile(r"^recorded as run [0-9a-f]{12} in ")  # stderr, a new id each run


def expected(block: OutputBlock, folder: Path) -> str:
    out = [line.rstrip() for line in run(block.command, folder).rstrip("\n").splitlines()]
    out = [line for line in out if not STORE_LINE.match(line)]
    if block.lines is not None:
        a, b = block.lines
        out = out[a - 1 : b]
    text = "\n".join(out)
    for pattern in VOLATILE:
        shown = iter(v for _, v in pattern.findall(block.shown))
        text = pattern.sub(lambda m, shown=shown: m.group(1) + next(shown, m.group(2)), text)
    return text


def fresh_outputs(paths: list[Path]) -> list[tuple[OutputBlock, str]]:
    blocks = [b for p in paths for b in output_blocks(p)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, text in doc_files(docs()).items():
            (folder / name).write_text(text, encoding="utf-8")
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            outs = list(pool.map(lambda b: expected(b, folder), blocks))
    return list(zip(blocks, outs, strict=True))


def rewrite(pairs: list[tuple[OutputBlock, str]]) -> int:
    changed = 0
    by_doc: dict[Path, list[tuple[OutputBlock, str]]] = {}
    for block, out in pairs:
        if block.shown != out:
            by_doc.setdefault(block.doc, []).append((block, out))
    for doc, items in by_doc.items():
        lines = doc.read_text(encoding="utf-8").splitlines()
        for block, out in sorted(items, key=lambda t: -t[0].start):
            lines[block.start : block.end] = out.splitlines()
            changed += 1
        doc.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale blocks, change nothing")
    args = parser.parse_args()
    pairs = fresh_outputs(docs())
    stale = [(b, o) for b, o in pairs if b.shown != o]
    if args.check:
        for b, _ in stale:
            print(f"{b.doc.relative_to(ROOT)}:{b.start}: stale output of `{b.command}`")
        return 1 if stale else 0
    print(f"{rewrite(pairs)} of {len(pairs)} output blocks rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
