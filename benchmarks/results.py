"""benchmarks/RESULTS.md: each script owns one section between its markers and rewrites only it."""

from __future__ import annotations

from pathlib import Path

PATH = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = "# Benchmark results\n\nWritten by the scripts in benchmarks/; each section says its machine and date.\n\n"


def write_section(begin: str, end: str, lines: list[str], path: Path = PATH) -> None:
    """Replace the text between ``begin`` and ``end`` (``lines`` hold both markers) with
    ``lines``, or append them; and print the section."""
    section = "\n".join(lines)
    text = path.read_text() if path.exists() else HEADER
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
    print(section)
