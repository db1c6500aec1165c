"""Scenario text screened before the TOML parser, so that no file can make it use more than
linear memory and time.

Python's TOML parser keeps, for every dotted key, a record of each of its prefixes: a key of
*n* parts costs it about *n²* memory, so a 200 kB line ``a.a.a.…b = 1`` of 100,000 parts takes
tens of gigabytes. The screen walks the text once (strings and comments skipped in one jump
each, so it is linear whatever the input) and refuses, in one line naming the line and the
key, before the parser sees it:

- a dotted key (in a table header or before ``=``) of more than ``MAX_KEY_PARTS`` parts, or
  longer than ``MAX_KEY_CHARS`` characters;
- arrays and inline tables nested more than ``MAX_NESTING`` deep;
- a key, or a string that reads as an id or an expression, written with compatibility
  characters that Unicode's NFKC form turns into plain ASCII (full-width letters and digits,
  ligatures): Python reads such an identifier as its ASCII twin, so ``"2 * ｌeakage"`` would
  silently mean ``2 * leakage``.

It also decodes the bytes: UTF-8, with or without a byte-order mark; a UTF-16 or UTF-32 file,
NUL bytes, invalid UTF-8 and lone surrogates are refused with a sentence saying so.
"""

from __future__ import annotations

import ast
import re
import tomllib
import unicodedata
import warnings
from pathlib import Path
from typing import Any

from detente.errors import ScenarioError

MAX_KEY_PARTS = 16  # the deepest key of a real scenario has 3 parts ([uncertainty.notes] x)
MAX_KEY_CHARS = 256  # a whole dotted key, dots and quotes included
MAX_NESTING = 32  # arrays and inline tables open at once (a proposal's stages use 2)
MAX_FILE_BYTES = 1_000_000  # the size of a scenario file the CLI reads

_BARE = re.compile(r"[A-Za-z0-9_+:\-]+")  # bare keys, and the atoms of values (numbers, dates)
_WORD = re.compile(r"[^\s=.\[\]{},#\"']+")  # a run of what is not TOML punctuation
_SPACE = re.compile(r"[ \t\r]+")
_BASIC = re.compile(r'(?:[^"\\\n]|\\.)*')  # the body of a one-line "string"
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def read_capped(path: Path, origin: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """A file's bytes, refusing anything over ``limit`` (never reading more than limit + 1)."""
    if path.exists() and not path.is_file():
        what = "a directory" if path.is_dir() else "not a regular file (a pipe or a device?)"
        raise ScenarioError(origin, "", f"is {what}, not a scenario file")
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ScenarioError(origin, "", f"file is larger than the limit of {limit} bytes")
    return data


def decode(data: bytes, origin: str) -> str:
    """UTF-8 text (a leading byte-order mark dropped), or one line saying what the bytes are."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise ScenarioError(origin, "", f"{name} text (it starts with a {name} byte-order mark); save it as UTF-8")
    if b"\x00" in data:
        raise ScenarioError(origin, "", "binary file, not a TOML text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(origin, "", f"not UTF-8 text (line {line}, byte {exc.start})") from None


def check_text(text: str, origin: str) -> None:
    """Refuse text that is not valid Unicode (a lone surrogate, as JSON's "\\ud800" gives)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        line = text[: exc.start].count("\n") + 1
        raise ScenarioError(
            origin, "", f"line {line}: a lone surrogate (U+{ord(text[exc.start]):04X}) is not Unicode text"
        ) from None


def lookalike(text: str) -> str | None:
    """The plain-ASCII text that ``text`` reads as under NFKC, if it differs from it."""
    if text.isascii():
        return None
    plain = unicodedata.normalize("NFKC", text)
    return plain if plain != text and plain.isascii() else None


def lookalike_reason(text: str, plain: str) -> str:
    odd = next(c for c in text if not c.isascii() and unicodedata.normalize("NFKC", c).isascii())
    return (
        f"{text!r} uses compatibility characters (U+{ord(odd):04X} {odd!r}) that read as {plain!r}; "
        "write it in plain ASCII"
    )


_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def decimal(where: str, name: str, value: str) -> float:
    """A plain ASCII decimal number (``0.5``, ``-2``, ``1e-3``): no full-width digits, no
    ``1_0``, no ``inf``, ``nan`` or hex, all of which Python's ``float`` would take."""
    text = value.strip()
    if not _DECIMAL.fullmatch(text):
        plain = lookalike(text)
        if plain is not None:
            raise ScenarioError(where, name, lookalike_reason(text, plain))
        raise ScenarioError(where, name, f"{value!r} is not a number: write a plain finite decimal such as 0.5, -2 or 1e-3")
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ScenarioError(where, name, f"{value!r} is too large: must be a finite number")
    return number


def plain_argument(where: str, text: str) -> None:
    """Refuse an id or name typed with lookalike characters (``ｈanoi-2019``)."""
    plain = lookalike(text)
    if plain is not None:
        raise ScenarioError(where, "", lookalike_reason(text, plain))


def _reads_as_code(plain: str) -> bool:
    """Whether a string value is an id, a reference or an expression (not prose)."""
    if len(plain) > 500:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(plain.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


class _Key:
    """A dotted key being read: its parts and characters so far."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.parts = 0
        self.chars = 0
        self.text = ""  # its first characters, for the message

    def add(self, piece: str, part: bool, origin: str) -> None:
        self.parts += part
        self.chars += len(piece)
        if len(self.text) < 80:
            self.text += piece[: 80 - len(self.text)]
        if self.parts > MAX_KEY_PARTS:
            raise ScenarioError(
                origin, "", f"line {self.line}: the key {self.preview()} has more than {MAX_KEY_PARTS} dotted parts, this reader's limit"
            )
        if self.chars > MAX_KEY_CHARS:
            raise ScenarioError(
                origin, "", f"line {self.line}: the key {self.preview()} is longer than {MAX_KEY_CHARS} characters, this reader's limit"
            )

    def preview(self) -> str:
        return repr(self.text[:40] + ("…" if self.chars > 40 else ""))


def screen(text: str, origin: str) -> None:
    """Walk ``text`` once and refuse what would make the TOML parser blow up (see the module)."""
    check_text(text, origin)
    n = len(text)
    i = 0
    line = 1
    stack: list[str] = []  # "[" (an array) or "{" (an inline table) open in a value
    expect_key = True  # at a line's start (outside any value), or after "{" or "," in a table
    header = False  # inside [table] or [[array of tables]]
    key: _Key | None = None
    after_dot = True  # the next bare word or string starts a new part of the key

    def string_token(start: int) -> tuple[int, str]:
        """(end, body) of the string at ``start``; an unterminated one runs to its line's end
        (or the text's end, for a multi-line one): the parser reports it, the screen moves on."""
        quote = text[start]
        if text.startswith(quote * 3, start):
            end = start + 3
            while True:
                found = text.find(quote * 3, end)
                if found < 0:
                    return n, text[start + 3 :]
                if quote == '"' and _escaped(text, found):
                    end = found + 1
                    continue
                extra = 0  # up to two more quotes belong to the body: """a"""""
                while extra < 2 and text.startswith(quote, found + 3 + extra):
                    extra += 1
                return found + extra + 3, text[start + 3 : found + extra]
        if quote == "'":
            stop = text.find("'", start + 1)
            newline = text.find("\n", start + 1, n if stop < 0 else stop)
            if newline >= 0 or stop < 0:
                cut = n if newline < 0 else newline
                return cut, text[start + 1 : cut]
            return stop + 1, text[start + 1 : stop]
        m = _BASIC.match(text, start + 1)
        assert m is not None
        end = m.end()
        if end < n and text[end] == '"':
            return end + 1, m.group()
        return end, m.group()

    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
            if not stack:
                expect_key, header, key, after_dot = True, False, None, True
            continue
        if c in " \t\r":
            m = _SPACE.match(text, i)
            assert m is not None
            i = m.end()
            continue
        if c == "#":
            stop = text.find("\n", i)
            i = n if stop < 0 else stop
            continue
        if c in "\"'":
            end, body = string_token(i)
            line += text.count("\n", i, end)
            if expect_key or header:
                key = key or _Key(line)
                key.add(text[i:end], after_dot, origin)
                after_dot = False
                plain = lookalike(body)
                if plain is not None:
                    raise ScenarioError(origin, "", f"line {line}: the key {lookalike_reason(body, plain)}")
            else:
                plain = lookalike(body)
                if plain is not None and _reads_as_code(plain):
                    raise ScenarioError(origin, "", f"line {line}: {lookalike_reason(body, plain)}")
            i = end
            continue
        if c == "." and (expect_key or header):
            if key is not None:
                key.add(".", False, origin)
            after_dot = True
            i += 1
            continue
        if c == "=" and expect_key:
            expect_key, key, after_dot = False, None, True
            i += 1
            continue
        if c == "[" and not stack and expect_key and key is None and not header:
            header = True
            i += 2 if text.startswith("[[", i) else 1
            continue
        if c == "]" and header:
            header, expect_key, key, after_dot = False, False, None, True
            i += 2 if text.startswith("]]", i) else 1
            continue
        if c in "[{" and not expect_key:
            stack.append(c)
            if len(stack) > MAX_NESTING:
                raise ScenarioError(
                    origin, "", f"line {line}: arrays and inline tables nested more than {MAX_NESTING} deep, this reader's limit"
                )
            if c == "{":
                expect_key, key, after_dot = True, None, True
            i += 1
            continue
        if c in "]}":
            if stack:
                stack.pop()
            expect_key = False
            i += 1
            continue
        if c == ",":
            if stack and stack[-1] == "{":
                expect_key, key, after_dot = True, None, True
            i += 1
            continue
        m = _BARE.match(text, i)
        if m is not None:
            if expect_key or header:
                key = key or _Key(line)
                key.add(m.group(), after_dot, origin)
                after_dot = False
            i = m.end()
            continue
        if (expect_key or header) and not c.isascii():
            m = _WORD.match(text, i)
            plain = lookalike(m.group()) if m is not None else None  # (None: Unicode white space)
            if m is not None and plain is not None:
                raise ScenarioError(origin, "", f"line {line}: the key {lookalike_reason(m.group(), plain)}")
        i += 1  # anything else: the parser judges it


def _escaped(text: str, at: int) -> bool:
    """Whether the character at ``at`` follows an odd run of backslashes."""
    count = 0
    j = at - 1
    while j >= 0 and text[j] == "\\":
        count += 1
        j -= 1
    return count % 2 == 1


def loads(data: bytes, origin: str) -> dict[str, Any]:
    """Decode, screen and parse TOML bytes; every failure is one :class:`ScenarioError`."""
    if not data.strip():
        raise ScenarioError(origin, "", "the file is empty")
    text = decode(data, origin)
    screen(text, origin)
    return parse(text, origin)


def parse(text: str, origin: str) -> dict[str, Any]:
    """``tomllib.loads`` of screened text, its errors as one line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(origin, "", f"invalid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(origin, "", "invalid TOML: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise ScenarioError(origin, "", f"invalid TOML: {exc}") from None


__all__ = [
    "MAX_FILE_BYTES",
    "MAX_KEY_CHARS",
    "MAX_KEY_PARTS",
    "MAX_NESTING",
    "check_text",
    "decimal",
    "decode",
    "lookalike",
    "loads",
    "parse",
    "plain_argument",
    "read_capped",
    "screen",
]
