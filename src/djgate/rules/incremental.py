"""Incremental parsing: a change to a few lines of a long module re-parses the top-level statements it
touches, not the module, nor the functions and classes between two changes far apart.

What it needs of the previous version of the file: that it parsed, and where its top-level statements are
(`spans`, kept by object id in djgate's cache when a version is parsed whole). How: an alignment of the two
versions finds the functions and classes the change leaves as they were (every line kept, none written);
they split the new text into pieces. A piece the change did not touch is the previous version's text
between the same two definitions: complete statements, as before. A piece it touched must parse alone
(padded with empty lines, so every line number stays): text that parses alone ends in a clean tokenizer
state (no open bracket or string, no line continuation; an indented block ends where the next definition,
at column 0, begins), so the definition after it starts as it did, and the new file parses if and only if
every touched piece does, each statement's tree the one a whole parse gives. A piece is not parsed with the
text around it: a string it opens could close in unchanged text further down and parse, as something else.

It falls back (returns None: parse the whole file) when that does not hold or cannot be seen cheaply: the
one `__future__` import that changes the grammar (`barry_as_FLUFL`; the others change what compiles, not
what parses), a change in the first two lines (an encoding declaration), a touched piece that does not parse
alone (the whole parse words the error), or that ends in a line continuation, a previous version whose spans
are unknown.

The result is an outline of the module: the touched pieces whole, and every other top-level statement that
is not a function or a class (imports, assignments, module-level `if`/`try`), which is all that the rules
read of a module besides the functions a change touches. A rule that needs every function asks the
PySource for its whole tree, parsed then.
"""

from __future__ import annotations

import bisect
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


def outline(old: str, new: str, spans: Sequence[Span], written: Sequence[int] = ()) -> Outline | None:
    """The outline of `new`, a version of `old` (which parsed into `spans`), or None: parse the whole file.
    `written`: the lines the diff says it writes (added or moved), never taken for unchanged ones whatever
    the alignment."""
    if "barry_as_FLUFL" in new or _lone_cr(new) or _lone_cr(old) or not spans:
        return None
    old_lines, new_lines = old.split("\n"), new.split("\n")
    if old_lines == new_lines:
        return None
    written = sorted(set(written))
    runs = _unchanged_runs(old_lines, new_lines, written)
    if not runs or runs[0][0] != 0 or runs[0][2] != 0 or runs[0][1] < 2:
        return None  # the encoding declaration may have changed
    # The definitions kept: unchanged old functions and classes, each within a run of unchanged lines.
    starts, span_starts = [r[0] for r in runs], [a for a, _, _ in spans]
    kept: list[tuple[int, int, int]] = []  # old first and last line, and how far the new version moved it
    for a, b, definition in spans:
        k = bisect.bisect_right(starts, a - 1) - 1
        if definition and k >= 0 and runs[k][1] >= b:
            kept.append((a, b, runs[k][2]))
    # The pieces between them: each one that changed must parse alone, which proves it ends in a clean
    # tokenizer state (a definition kept after it starts as it did); the unchanged ones parse together.
    end = (len(old_lines) + 1, len(old_lines) + 1, len(new_lines) - len(old_lines))
    unchanged = list(new_lines)
    parsed: list[ast.stmt] = []
    new_kept: list[Span] = []
    before_new = before_old = 0
    for a, b, shift in [*kept, end]:
        first, last, old_first, old_last = before_new + 1, a + shift - 1, before_old + 1, a - 1
        before_new, before_old = b + shift, b
        if b <= len(old_lines):
            new_kept.append((a + shift, b + shift, True))
        if (
            last - first == old_last - old_first
            and not _any_within(written, first, last)
            and new_lines[first - 1 : last] == old_lines[old_first - 1 : old_last]
        ):
            at = bisect.bisect_left(span_starts, old_first)
            for sa, sb, definition in spans[at:]:  # the piece's own definitions are kept too
                if sb > old_last:
                    break
                if definition:
                    new_kept.append((sa + first - old_first, sb + first - old_first, True))
            continue
        unchanged[first - 1 : last] = [""] * (last - first + 1)
        if any(
            _continues(lines, n)
            for lines, n in (
                (new_lines, first - 1),
                (new_lines, last),
                (old_lines, old_first - 1),
                (old_lines, old_last),
            )
        ):
            return None
        if last >= first:
            tree = _parse("\n" * (first - 1) + "\n".join(new_lines[first - 1 : last]))
            if tree is None:
                return None  # the whole parse finds the error and words it
            parsed += tree.body
    for a, b, _ in new_kept:
        unchanged[a - 1 : b] = [""] * (b - a + 1)
    tree = _parse("\n".join(unchanged))
    if tree is None:
        return None
    import ast

    module = ast.Module(body=sorted([*parsed, *tree.body], key=lambda s: s.lineno), type_ignores=[])
    return Outline(module, tuple(sorted((*spans_of(module), *new_kept))))


def _unchanged_runs(old: list[str], new: list[str], written: list[int]) -> list[tuple[int, int, int]]:
    """An alignment of the two versions: runs of old lines the new version keeps, as (first old index,
    index past the last, how far the new version moved them), in order. Lines `written` are never kept.
    The common ends are kept; between them each line not written is the next equal old line, if there is
    one (any alignment will do: what a kept definition is next to is proven to parse alone, not assumed
    to)."""
    prefix = _same(old, 0, new, 0, min(len(old), len(new)))
    suffix = _same(old, len(old), new, len(new), min(len(old), len(new)) - prefix, back=True)
    if written:
        prefix = min(prefix, written[0] - 1)
        suffix = max(0, min(suffix, len(new) - written[-1]))
    old_stop, new_stop = len(old) - suffix, len(new) - suffix
    runs = [(0, prefix, 0)] if prefix else []
    middle: list[tuple[int, int, int]] = []
    i, j, w = prefix, prefix, bisect.bisect_left(written, prefix + 1)
    while j < new_stop:
        if w < len(written) and written[w] == j + 1:
            j, w = j + 1, w + 1
            continue
        stop = min(written[w] - 1, new_stop) if w < len(written) else new_stop  # the next written line
        try:
            i = old.index(new[j], i, old_stop)
        except ValueError:
            j += 1  # not found after the lines kept before it: taken for written
            continue
        n = 1 + _same(old, i + 1, new, j + 1, min(old_stop - i, stop - j) - 1)
        if middle and middle[-1][1] == i and middle[-1][2] == j - i:
            middle[-1] = (middle[-1][0], i + n, j - i)
        else:
            middle.append((i, i + n, j - i))
        i, j = i + n, j + n
    if suffix:
        middle.append((old_stop, len(old), new_stop - old_stop))
    for run in middle:  # a run that goes on where the one before stops is one run
        if runs and runs[-1][1] == run[0] and runs[-1][2] == run[2]:
            runs[-1] = (runs[-1][0], run[1], run[2])
        else:
            runs.append(run)
    return runs


def _any_within(numbers: list[int], first: int, last: int) -> bool:
    i = bisect.bisect_left(numbers, first)
    return i < len(numbers) and numbers[i] <= last


def _parse(text: str) -> ast.Module | None:
    from djgate.analyses import parse_tree

    try:
        return parse_tree(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _lone_cr(text: str) -> bool:
    """A carriage return that is not part of CRLF ends a line for Python, not for str.split("\\n")."""
    return "\r" in text and text.count("\r") != text.count("\r\n")


def _continues(lines: Sequence[str], number: int) -> bool:
    """Does line `number` (1-based; none for 0) end in a backslash that joins the next line to it?"""
    return 0 < number <= len(lines) and lines[number - 1].rstrip("\r\n \t\f").endswith("\\")


def _same(a: list[str], i: int, b: list[str], j: int, limit: int, back: bool = False) -> int:
    """How many lines are equal from a[i] and b[j] on (at most `limit`), or before them with `back`:
    compared a slice at a time, the slice doubling while they agree (lists compare in C)."""
    n, step = 0, 8
    while n < limit:
        k = min(step, limit - n)
        same = (
            a[i - n - k : i - n] == b[j - n - k : j - n]
            if back
            else a[i + n : i + n + k] == b[j + n : j + n + k]
        )
        if same:
            n, step = n + k, step * 2
        elif k == 1:
            break
        else:
            step = k // 2
    return n


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
