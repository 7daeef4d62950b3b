"""Incremental parsing: a change to a few lines of a long module re-parses the statements it touches, not
the module, nor the functions, classes and methods between two changes far apart.

What it needs of the previous version of the file: that it parsed, where its top-level statements are, and
the functions and classes in the bodies of its classes (`spans`, kept by object id in djgate's cache when a
version is parsed). How: an alignment of the two versions finds the functions and classes the change leaves
as they were (every line kept, none written), and the methods it leaves in a class it changes; they split
the new text into pieces. A piece the change did not touch, between two top-level definitions, is the
previous version's text between them: complete statements, as before. Every other piece must parse alone
(padded with empty lines, so every line number stays): text that parses alone ends in a clean tokenizer
state (no open bracket or string, no line continuation), so the definition after it starts as it did. A
piece after a kept method goes on in its class's body: it is parsed under a `class _:` line put where the
method ends, and must be indented as the method is; a piece before a kept method must leave a class's body
open at the method's indentation, which a `pass` put where the method starts proves (it must parse as the
last statement of the piece's last class). Then the new file parses if and only if every piece does, and
each statement's tree is the one a whole parse gives (a class's body holds what was parsed of it: its end
column is unknown when it ends with a kept method). A piece is not parsed with the text around it: a string
it opens could close in unchanged text further down and parse, as something else.

It falls back (returns None: parse the whole file) when that does not hold or cannot be seen cheaply: the
one `__future__` import that changes the grammar (`barry_as_FLUFL`; the others change what compiles, not
what parses), a piece that does not parse alone (the whole parse words the error), or that ends in a line
continuation, a previous version whose spans are unknown. (An encoding declaration in the first two lines is
not one: both versions are decoded, each by its own, before they are compared, and a parse of text reads no
declaration.) A change a method-wise reading cannot prove (a line that joins the method before it, a decorator
of the method after it) is read again with its classes whole.

The result is an outline of the module: the touched pieces whole, and every other top-level statement that
is not a function or a class (imports, assignments, module-level `if`/`try`), which is all that the rules
read of a module besides the functions a change touches. A rule that needs every function asks the
PySource for its whole tree, parsed then.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from djgate.rules.pysource import span, touches_any

if TYPE_CHECKING:
    import ast
    from pathlib import Path

# A span: first and last line (1-based, decorators included) and kind of a top-level statement (statements
# that share a line are one), or of a function or class in the body of a top-level class.
STATEMENT, DEFINITION, METHOD = 0, 1, 2  # kinds: a statement; a function or class (left out); in a class
Span = tuple[int, int, int]


class Outline(NamedTuple):
    module: ast.Module  # the touched statements and the other top-level statements but functions and classes
    spans: tuple[Span, ...]  # of the new version, for its next change
    lines: list[str]  # the new version's lines (split once)


def spans_of(tree: ast.Module) -> tuple[Span, ...]:
    """The top-level statements of a parsed module, merged where they share a line, and the functions and
    classes in the bodies of its classes."""
    import ast

    definitions = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    spans: list[Span] = []
    methods: list[Span] = []
    for stmt in tree.body:
        first, last = span(stmt)
        if spans and first <= spans[-1][1]:  # `a = 1; b = 2`, or a statement after a one-line one
            spans[-1] = (spans[-1][0], max(last, spans[-1][1]), STATEMENT)
        else:
            spans.append((first, last, DEFINITION if isinstance(stmt, definitions) else STATEMENT))
        if isinstance(stmt, ast.ClassDef):
            methods += [(*span(s), METHOD) for s in stmt.body if isinstance(s, definitions)]
    return tuple(sorted(spans + methods))


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
    kept = _kept(spans, runs)
    result = _Composer(old_lines, new_lines, spans, written).compose(kept)
    if result is None and any(kind == METHOD for *_, kind in kept):
        # A change a method-wise reading cannot prove (a line that joins the method before it, a decorator
        # for the one after it): its classes are read whole.
        kept = [item for item in kept if item[3] != METHOD]
        result = _Composer(old_lines, new_lines, spans, written).compose(kept)
    return result


def _kept(spans: Sequence[Span], runs: list[tuple[int, int, int]]) -> list[tuple[int, int, int, int]]:
    """The functions and classes the change leaves as they were (every line in one run of unchanged lines),
    and the methods left as they were in a class that is not: (old first and last line, how far the new
    version moved them, kind)."""
    starts = [r[0] for r in runs]
    kept: list[tuple[int, int, int, int]] = []
    owner: tuple[int, bool] = (0, False)  # the last line of the top-level class, and whether it is kept
    for a, b, kind in spans:
        if kind == METHOD and (a > owner[0] or owner[1]):
            continue  # not in a class (in statements sharing a line), or in a class kept whole
        if kind != METHOD:
            owner = (b, False) if kind == DEFINITION else (0, False)
            if kind == STATEMENT:
                continue
        k = bisect.bisect_right(starts, a - 1) - 1
        if k >= 0 and runs[k][1] >= b:
            kept.append((a, b, runs[k][2], kind))
            if kind == DEFINITION:
                owner = (b, True)
    return kept


class _Composer:
    """The outline of the new version from the pieces between the definitions and methods kept, in order
    (see the module's docstring)."""

    def __init__(self, old: list[str], new: list[str], spans: Sequence[Span], written: list[int]) -> None:
        self.old, self.new, self.spans, self.written = old, new, spans, written
        self.starts = [a for a, _, _ in spans]
        self.unchanged = list(new)  # the text of the pieces parsed together
        self.parsed: list[ast.stmt] = []  # top-level statements of the pieces parsed alone
        self.kept: list[Span] = []  # of the new version, left out of the outline
        self.owner: ast.ClassDef | None = None  # the class whose body the text is in, at the piece's start
        self.indent = ""  # that body's indentation
        self.owner_end = 0  # the last line of its body so far

    def compose(self, kept: list[tuple[int, int, int, int]]) -> Outline | None:
        import ast

        before_new = before_old = 0
        before_kind = DEFINITION  # the start of the file is at module level
        end = (len(self.old) + 1, len(self.old) + 1, len(self.new) - len(self.old), DEFINITION)
        for a, b, shift, kind in [*kept, end]:
            first, last, old_first, old_last = before_new + 1, a + shift - 1, before_old + 1, a - 1
            indent = _indent(self.new[a + shift - 1]) if kind == METHOD else ""
            if not self.piece(
                first, last, old_first, old_last, before_kind == METHOD, indent, kind == METHOD
            ):
                return None
            if b > len(self.old):
                break
            if kind == METHOD:
                assert self.owner is not None  # `piece` made sure
                self.owner_end = b + shift
            self.kept.append((a + shift, b + shift, kind))
            if kind == DEFINITION:
                self._carry(a, b, shift, (METHOD,))
            before_new, before_old, before_kind = b + shift, b, kind
        self._close()
        for a, b, _ in self.kept:
            self.unchanged[a - 1 : b] = [""] * (b - a + 1)
        tree = _parse("\n".join(self.unchanged))
        if tree is None:
            return None
        module = ast.Module(body=sorted([*self.parsed, *tree.body], key=lambda s: s.lineno), type_ignores=[])
        return Outline(module, tuple(sorted({*spans_of(module), *self.kept})), self.new)

    def piece(
        self,
        first: int,
        last: int,
        old_first: int,
        old_last: int,
        in_class: bool,
        indent: str,
        to_class: bool,
    ) -> bool:
        """Read the new lines first..last (the old lines old_first..old_last), between two kept items: is it
        safe? `in_class`: it starts in the body of self.owner (a kept method is before it); `to_class`: a
        kept method indented by `indent` follows it, in a class's body."""
        new, old = self.new, self.old
        boundaries = ((new, first - 1), (new, last), (old, old_first - 1), (old, old_last))
        if any(_continues(lines, n) for lines, n in boundaries):
            return False
        if (
            not in_class
            and not to_class
            and last - first == old_last - old_first
            and not touches_any(self.written, first, last)
            and new[first - 1 : last] == old[old_first - 1 : old_last]
        ):
            # Parsed with the other unchanged pieces; its definitions and their methods are kept.
            self._carry(old_first, old_last, first - old_first, (DEFINITION, METHOD))
            return True
        self.unchanged[first - 1 : last] = [""] * max(0, last - first + 1)
        code = next((n for n in range(first, last + 1) if _is_code(new[n - 1])), None)
        if code is None:  # blank lines and comments: where the text was, it still is
            if to_class and (not in_class or indent != self.indent):
                return False
            if not to_class:
                self._close()
            return True
        line = new[code - 1]
        wrapped = in_class and line[:1] in (" ", "\t", "\f")  # the body of the class goes on
        if wrapped and not (
            line.startswith(self.indent) and line[len(self.indent) :][:1] not in (" ", "\t", "\f")
        ):
            return False  # indented otherwise than the body it would be in
        if in_class and not wrapped:
            self._close()
        lines = new[first - 1 : last]
        head = "\n" * (first - 2) + "class _:\n" if wrapped else "\n" * (first - 1)
        tail = f"\n{indent}pass" if to_class else ""  # where the kept method starts: in a class's body?
        tree = _parse(head + "\n".join(lines) + tail)
        if tree is None:
            return False  # the whole parse finds the error and words it
        import ast

        body = list(tree.body)
        wrapper = body.pop(0) if wrapped else None
        if to_class:
            holder = body[-1] if body else wrapper
            if not (
                isinstance(holder, ast.ClassDef)
                and isinstance(holder.body[-1], ast.Pass)
                and holder.body[-1].lineno == last + 1
            ):
                return False
            holder.body.pop()
        if isinstance(wrapper, ast.ClassDef) and self.owner is not None:
            self.owner.body += wrapper.body
            if wrapper.body:
                self.owner_end = wrapper.body[-1].end_lineno or 0
            if body or not to_class:
                self._close()
        self.parsed += body
        if to_class and body:
            holder = body[-1]
            assert isinstance(holder, ast.ClassDef)
            self.owner, self.owner_end = holder, (holder.body[-1].end_lineno or 0) if holder.body else 0
        if to_class:
            self.indent = indent
        return True

    def _close(self) -> None:
        """The class whose body the text was in ends: at the last line of its body (a kept method's end
        column is not known)."""
        owner = self.owner
        if owner is not None:
            last = owner.body[-1] if owner.body else None
            owner.end_lineno = self.owner_end
            owner.end_col_offset = last.end_col_offset if last and last.end_lineno == self.owner_end else None
            self.owner = None

    def _carry(self, old_first: int, old_last: int, shift: int, kinds: tuple[int, ...]) -> None:
        """The spans of these kinds between two old lines, moved to the new version."""
        at = bisect.bisect_left(self.starts, old_first)
        for a, b, k in self.spans[at:]:
            if a > old_last:
                break
            if k in kinds and b <= old_last:
                self.kept.append((a + shift, b + shift, k))


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t\f"))]


def _is_code(line: str) -> bool:
    """A line that is neither blank nor a comment."""
    stripped = line.lstrip(" \t\f\r")
    return bool(stripped) and not stripped.startswith("#")


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
    """The spans (top-level statements, methods) of the Python contents djgate parsed, by object id, kept in
    djgate's directory of the git dir: the previous version of a file a commit changes is, most of the time,
    the one the previous commit's hook parsed. Content-addressed, so an entry never goes stale; the djgate
    Python's version is part of the file's version (another grammar may split a file otherwise). Each entry
    is packed in bytes (three 32-bit integers a span): after saleor's last 1,012 commits, 3,500 entries of
    long modules take 3 MB (some 5 ms to load), not the 20 MB of tuples."""

    LIMIT = 4_000  # entries kept (in memory during a run too), the most recently used

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[str, bytes] | None = None
        self.dirty = False

    @staticmethod
    def version() -> tuple[int, int, int]:
        import sys

        return (3, sys.version_info[0], sys.version_info[1])

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
        return tuple((values[i], values[i + 1], values[i + 2]) for i in range(0, len(values), 3))

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
