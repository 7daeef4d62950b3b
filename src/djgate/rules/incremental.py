"""Incremental parsing: a change to a few lines of a long module re-parses the top-level statements it
touches, not the module.

What it needs of the previous version of the file: that it parsed, and where its top-level statements are
(`spans`, kept by object id in djgate's cache when a version is parsed whole). What it proves: the text
before the first touched statement and after the last one is the previous version's, so it splits into the
same complete statements; a top-level statement starts and ends in a clean tokenizer state (no open bracket,
string or indented block, no line continuation), so the new file parses if and only if the touched region
parses alone, and every statement's tree is the one a whole parse gives (line numbers kept by padding).

It falls back (returns None: parse the whole file) when that does not hold or cannot be seen cheaply: the
one `__future__` import that changes the grammar (`barry_as_FLUFL`; the others change what compiles, not
what parses), a change in the first two lines (an
encoding declaration), a region that does not parse alone (the whole parse words the error), a region that
ends in a line continuation, a previous version whose spans are unknown.

The result is an outline of the module: the touched statements whole, and every other top-level statement
that is not a function or a class (imports, assignments, module-level `if`/`try`), which is all that the
rules read of a module besides the functions a change touches. A rule that needs every function asks the
PySource for its whole tree, parsed then.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import ast
    from pathlib import Path

# A top-level statement: first and last line (1-based, decorators included; statements that share a line are
# one), and whether it is a function or a class (left out of the outline).
Span = tuple[int, int, bool]


class Outline(NamedTuple):
    module: ast.Module  # the touched statements and the other top-level statements but functions and classes
    spans: tuple[Span, ...]  # of the new version, for its next change


def spans_of(tree: ast.Module) -> tuple[Span, ...]:
    """The top-level statements of a parsed module, merged where they share a line."""
    import ast

    spans: list[Span] = []
    for stmt in tree.body:
        first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
        last = stmt.end_lineno or stmt.lineno
        definition = isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        if spans and first <= spans[-1][1]:  # `a = 1; b = 2`, or a statement after a one-line one
            spans[-1] = (spans[-1][0], max(last, spans[-1][1]), False)
        else:
            spans.append((first, last, definition))
    return tuple(spans)


def outline(old: str, new: str, spans: Sequence[Span], added: Sequence[int] = ()) -> Outline | None:
    """The outline of `new`, a version of `old` (which parsed into `spans`), or None: parse the whole file.
    `added`: the lines the diff says are added, which the touched region covers whatever the alignment."""
    if "barry_as_FLUFL" in new or _lone_cr(new) or _lone_cr(old) or not spans:
        return None
    old_lines, new_lines = old.split("\n"), new.split("\n")
    if old_lines == new_lines:
        return None
    prefix = _common_prefix(old_lines, new_lines)
    suffix = _common_prefix(old_lines[prefix:][::-1], new_lines[prefix:][::-1])
    if added:
        prefix = min(prefix, min(added) - 1)
        suffix = max(0, min(suffix, len(new_lines) - max(added)))
    if prefix < 2:
        return None  # the encoding declaration may have changed
    delta = len(new_lines) - len(old_lines)
    # The changed old lines, widened by one on each side (an insertion sits between two lines).
    low, high = prefix, len(old_lines) - suffix + 1
    touched = [(a, b) for a, b, _ in spans if a <= high and b >= low]
    low = min([low, *(a for a, _ in touched)])
    high = max([high, *(b for _, b in touched)])
    # The region starts after the last statement that ends before it, and ends before the next statement
    # after it: boundaries in unchanged text between complete top-level statements.
    start = max([b for _, b, _ in spans if b < low], default=0) + 1
    end_old = min([a for a, _, _ in spans if a > high], default=len(old_lines) + 1) - 1
    end_new = end_old + delta
    if end_old < len(old_lines) - suffix or end_new < start - 1 or start - 1 > prefix:
        return None
    if any(_continues(old_lines, n) for n in (start - 1, end_old)) or _continues(new_lines, end_new):
        return None
    # One parse: the new text with every function and class outside the region blanked (their lines kept
    # as empty lines, so every number stays): the region and the module-level statements, nothing more.
    text = list(new_lines)
    kept: list[Span] = []
    for a, b, definition in spans:
        if b < start or a > end_old:
            moved = (a, b, definition) if b < start else (a + delta, b + delta, definition)
            if definition:
                kept.append(moved)
                text[moved[0] - 1 : moved[1]] = [""] * (moved[1] - moved[0] + 1)
    try:
        from djgate.analyses import parse_tree

        tree = parse_tree("\n".join(text))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the whole parse finds the error and words it
    new_spans = tuple(sorted((*spans_of(tree), *kept)))
    return Outline(tree, new_spans)


def _lone_cr(text: str) -> bool:
    """A carriage return that is not part of CRLF ends a line for Python, not for str.split("\\n")."""
    return "\r" in text and text.count("\r") != text.count("\r\n")


def _continues(lines: Sequence[str], number: int) -> bool:
    """Does line `number` (1-based; none for 0) end in a backslash that joins the next line to it?"""
    return 0 < number <= len(lines) and lines[number - 1].rstrip("\r\n \t\f").endswith("\\")


def _common_prefix(a: Sequence[str], b: Sequence[str]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


OUTLINE_FROM = 300  # lines: a shorter module is parsed whole (it costs less than a millisecond or two)


class SpanCache:
    """The top-level spans of the Python contents djgate parsed, by object id, kept in djgate's directory of
    the git dir: the previous version of a file a commit changes is, most of the time, the one the previous
    commit's hook parsed. Content-addressed, so an entry never goes stale; the djgate Python's version is
    part of the file's version (another grammar may split a file otherwise). Each entry is packed in bytes
    (three 32-bit integers a span): 4,000 entries of long modules take 3 MB, not the 20 MB of tuples."""

    LIMIT = 4_000  # entries kept (in memory during a run too), the most recently used

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[str, bytes] | None = None
        self.dirty = False

    @staticmethod
    def version() -> tuple[int, int, int]:
        import sys

        return (2, sys.version_info[0], sys.version_info[1])

    def _all(self) -> dict[str, bytes]:
        if self._entries is None:
            from djgate.cachefile import load

            data = load(self.path) if self.path is not None else {}
            entries = data.get("entries") if data.get("version") == self.version() else None
            self._entries = entries if isinstance(entries, dict) else {}
        return self._entries

    def get(self, oid: str) -> tuple[Span, ...] | None:
        from array import array

        packed = self._all().get(oid)
        values = array("i")
        if not isinstance(packed, bytes) or len(packed) % (3 * values.itemsize):
            return None
        values.frombytes(packed)
        return tuple((values[i], values[i + 1], bool(values[i + 2])) for i in range(0, len(values), 3))

    def put(self, oid: str, spans: tuple[Span, ...]) -> None:
        from array import array

        entries = self._all()
        entries.pop(oid, None)
        entries[oid] = array(
            "i", [value for span in spans for value in span]
        ).tobytes()  # the most recent last
        while len(entries) > self.LIMIT:
            del entries[next(iter(entries))]
        self.dirty = True

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        from djgate.cachefile import store

        store(self.path, {"version": self.version(), "entries": self._all()})
        self.dirty = False
