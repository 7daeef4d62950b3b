"""The Python files of a change, parsed once per ChangeSet and shared by every family that judges added code.

A `PySource` holds a changed `.py` file decoded with its own encoding (PEP 263 cookie or BOM, else UTF-8),
its syntax tree or why it has none, and the line numbers the change adds. `walk_touched()` walks only the
parts of the tree that contain an added line, so judging three new lines of a 50,000-line module costs its
parse and a walk down one branch, not a walk of the whole tree.
"""

from __future__ import annotations

import bisect
import functools
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from djgate import log
from djgate.changeset import AddedText, ChangeSet, FileChange
from djgate.globs import GlobSet

if TYPE_CHECKING:
    import ast

    from djgate.rules import Context

PYTHON_SUFFIXES = (".py",)
TEST_FILES = ("tests/", "test_*.py", "*_tests.py", "tests.py", "conftest.py")


def is_python(path: str) -> bool:
    return path.endswith(PYTHON_SUFFIXES)


@functools.cache
def _test_globs() -> GlobSet:
    return GlobSet(TEST_FILES)


def is_test_file(path: str) -> bool:
    return _test_globs().match(path)


def is_migration(path: str) -> bool:
    """A module of a `migrations` package (Django's or South's): generated, judged by DJG3xx."""
    return "/migrations/" in f"/{path}"


def dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a chain of attributes on a name, else None (a call, a subscript, ...)."""
    import ast

    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class ParseError(NamedTuple):
    """Why a file has no tree: the parser's message and the line it points at (None when it names none)."""

    message: str
    line: int | None
    syntax: bool = False  # refused by djgate's parser (not the bytes): a newer Python may accept it


class Parents:
    """The nodes above a node, nearest first; siblings share one chain, so building it costs nothing."""

    __slots__ = ("node", "up")

    def __init__(self, node: ast.AST, up: Parents | None) -> None:
        self.node = node
        self.up = up

    def __iter__(self) -> Iterator[ast.AST]:
        link: Parents | None = self
        while link is not None:
            yield link.node
            link = link.up


class Unjudged(NamedTuple):
    """Why a file has neither tree nor error: it is for a newer Python (`version`) than djgate's."""

    version: str
    via: str  # how the version was learnt
    parsed: bool  # that Python's interpreter parsed it (else none was found to ask)


class PySource:
    """A changed Python file, decoded and parsed. (A plain class, as are the NamedTuples here: a dataclass
    costs every hook the import of dataclasses and inspect, some 10 ms.)"""

    def __init__(
        self,
        path: str,
        text: str | None,  # None when the bytes cannot be decoded
        whole: ast.Module | None,  # the whole file's tree; see `tree`
        error: ParseError | None,
        added: tuple[int, ...],  # sorted numbers of the lines the change adds
        unjudged: Unjudged | None = None,  # no tree, no error: written for a newer Python than djgate's
        # Parsed incrementally (djgate.rules.incremental): the touched statements and the module-level ones
        # but functions and classes; the whole tree is parsed when a rule asks for it.
        outlined: ast.Module | None = None,
        lines: list[str] | None = None,  # the text split at newlines, when the caller has it
    ) -> None:
        self.path, self.text, self.whole, self.error, self.added = path, text, whole, error, added
        self.unjudged, self.outlined = unjudged, outlined
        self._lines = lines
        self._touched: list[tuple[ast.AST, Parents | None]] | None = None
        self._statements: list[tuple[ast.stmt, Parents]] | None = None
        self._added_text: str | None = None
        self._trees: weakref.ref[Trees] | None = None  # the ChangeSet's budget of trees
        self._dropped = False  # it parsed; its tree was dropped (see Trees)

    def __repr__(self) -> str:
        return f"PySource({self.path!r}, error={self.error!r}, added={len(self.added)} lines)"

    @property
    def tree(self) -> ast.Module | None:
        """The whole file's syntax tree (None when it does not parse), parsed now if it was outlined or
        dropped."""
        if self.whole is None and self.text is not None and (self._dropped or self.outlined is not None):
            from djgate.analyses import parse_tree

            try:
                self.whole = parse_tree(self.text)  # it parses: it did before, or the outline proved it
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                self.outlined = None  # not reached (see djgate.rules.incremental); judged as not parsed
            self._dropped = False
        trees = self._trees() if self._trees is not None else None
        if trees is not None and self.whole is not None:
            trees.used(self)  # a tree parsed from an outline counts against the budget too
        return self.whole

    @property
    def outline(self) -> ast.Module | None:
        """What the rules read of the module besides every function: the touched statements whole, and
        the module-level statements (imports, assignments, `if`/`try` blocks) whole; the whole tree when
        there is no outline."""
        return self.outlined if self.outlined is not None else self.tree

    @property
    def parsed(self) -> bool:
        return self.whole is not None or self.outlined is not None or self._dropped

    def drop_tree(self) -> None:
        """Let the whole tree go (and what was walked of it); it is parsed again when asked for."""
        if self.whole is not None:
            self.whole, self._touched, self._statements, self._dropped = None, None, None, True

    @property
    def lines(self) -> list[str]:
        """The lines of the file, numbered as git numbers them (line n is lines[n - 1])."""
        if self._lines is None:
            self._lines = self.text.split("\n") if self.text is not None else []
        return self._lines

    @property
    def added_text(self) -> str:
        """The added lines, joined by newlines (the whole text when every line is added)."""
        if self._added_text is None:
            lines = self.lines
            whole = len(self.added) >= self.line_count
            self._added_text = self.text or "" if whole else "\n".join(lines[n - 1] for n in self.added)
        return self._added_text

    def line(self, number: int) -> str:
        lines = self.lines
        return lines[number - 1] if 0 < number <= len(lines) else ""

    def is_added(self, number: int) -> bool:
        i = bisect.bisect_left(self.added, number)
        return i < len(self.added) and self.added[i] == number

    @property
    def line_count(self) -> int:
        lines = self.lines
        return len(lines) - 1 if lines and lines[-1] == "" else len(lines)

    def touches(self, first: int, last: int) -> bool:
        """Does the change add a line between first and last (inclusive)?"""
        return touches_any(self.added, first, last)

    def walk_touched(self, lines: Sequence[int] | None = None) -> list[tuple[ast.AST, Parents | None]]:
        """Every node whose lines include an added line (or one of `lines`, sorted), and the nodes without
        line numbers inside them, with its parents, in source order; subtrees those lines do not reach are
        skipped. The walk over all added lines is done once and kept."""
        if lines is not None:
            return list(self._walk(tuple(lines)))
        if self._touched is None:
            self._touched = list(self._walk(self.added))
        return self._touched

    def _walk(self, lines: tuple[int, ...]) -> Iterator[tuple[ast.AST, Parents | None]]:
        import ast

        module = self.outline
        if module is None or not lines:
            return
        whole = len(lines) >= self.line_count  # a new file, or --all-files: no subtree to skip
        stack: list[tuple[ast.AST, Parents | None]] = [(module, None)]
        while stack:
            node, parents = stack.pop()
            yield node, parents
            here = Parents(node, parents)
            children = list(ast.iter_child_nodes(node))
            if not whole:
                children = [c for c in children if not hasattr(c, "lineno") or touches_any(lines, *span(c))]
            stack.extend((child, here) for child in reversed(children))

    def touched_statements(self) -> list[tuple[ast.stmt, Parents]]:
        """Every statement whose lines include an added line, with the statements above it (and the
        module), in source order. Expressions are not entered: finding the functions and class bodies a
        change touches costs a walk of the statements, not of every node. Done once and kept."""
        if self._statements is None:
            self._statements = list(self._walk_statements()) if self.parsed and self.added else []
        return self._statements

    def _walk_statements(self) -> Iterator[tuple[ast.stmt, Parents]]:
        module = self.outline
        assert module is not None
        whole = len(self.added) >= self.line_count
        root = Parents(module, None)
        stack: list[tuple[ast.stmt, Parents]] = [(s, root) for s in reversed(module.body)]
        while stack:
            stmt, parents = stack.pop()
            if not whole and not touches_any(self.added, *span(stmt)):
                continue
            yield stmt, parents
            here = Parents(stmt, parents)
            blocks = [getattr(stmt, "body", [])]
            blocks += [h.body for h in getattr(stmt, "handlers", ())] + [
                c.body for c in getattr(stmt, "cases", ())
            ]
            blocks += [getattr(stmt, "orelse", []), getattr(stmt, "finalbody", [])]
            stack.extend((child, here) for block in reversed(blocks) for child in reversed(block))

    def touched_functions(self) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """The innermost functions (and methods) that contain an added line, in source order."""
        import ast

        touched: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        outer: set[int] = set()  # ids of touched functions that hold another touched function
        for node, parents in self.touched_statements():
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                touched.append(node)
                outer.update(
                    id(p) for p in parents or () if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef))
                )
        return [f for f in touched if id(f) not in outer]


class Trees:
    """The whole syntax trees a ChangeSet's Python files keep between rules, within a budget of their texts'
    size (a tree takes some 30 times its text): a commit of a thousand modules holds a few of their trees,
    not all. A tree made when the budget is spent is dropped at once; between rules, the least recently
    read go until the rest fit. A rule reading a dropped tree parses it again and holds it to its end."""

    BUDGET = 1_000_000  # characters of text: some 30 MB of trees

    def __init__(self) -> None:
        self.kept: dict[int, PySource] = {}  # id -> source, least recently read first
        self.size = 0  # characters of the kept sources' texts

    def add(self, source: PySource) -> None:
        """A source just made: its tree is kept if the budget allows."""
        source._trees = weakref.ref(self)  # not the source's own: a cycle would wait for the collector
        if source.whole is not None:
            if self.size + len(source.text or "") > self.BUDGET:
                source.drop_tree()
            else:
                self.used(source)

    def used(self, source: PySource) -> None:
        if self.kept.pop(id(source), None) is None:
            self.size += len(source.text or "")
        self.kept[id(source)] = source

    def trim(self) -> None:
        while self.size > self.BUDGET and self.kept:
            oldest = self.kept.pop(next(iter(self.kept)))
            self.size -= len(oldest.text or "")
            oldest.drop_tree()


def touches_any(lines: Sequence[int], first: int, last: int) -> bool:
    """Is one of these sorted line numbers between first and last (inclusive)?"""
    i = bisect.bisect_left(lines, first)
    return i < len(lines) and lines[i] <= last


def span(node: Any) -> tuple[int, int]:
    """First and last line of a node, decorators included."""
    first = node.lineno
    for decorator in getattr(node, "decorator_list", ()):
        first = min(first, decorator.lineno)
    return first, getattr(node, "end_lineno", None) or node.lineno


class SourceDecodeError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset  # index of the first byte that could not be decoded


def decode_source(data: bytes) -> str:
    """Python source bytes as text, with the encoding Python itself would use (PEP 263 cookie, BOM, UTF-8)."""
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # an unknown encoding in the cookie, or a cookie that contradicts a BOM
        raise SourceDecodeError(str(exc), 0) from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceDecodeError(
            f"not valid {encoding}: declare the file's encoding in a `# -*- coding: ... -*-` comment on "
            "line 1 or 2, or save it as UTF-8",
            exc.start,
        ) from None


Parsed = tuple["str | None", "ast.Module | None", "ParseError | None"]


def parse_source(path: str, data: bytes, added: tuple[int, ...]) -> PySource:
    """Decode and parse one file; never raises for bad input: the problem is in `error`."""
    text, tree, error = parse_text(data)
    return PySource(path, text, tree, error, added)


def parse_text(data: bytes) -> Parsed:
    """The text, the syntax tree and the error of a Python file's content."""
    from djgate.analyses import parse_tree

    try:
        text = decode_source(data)
    except SourceDecodeError as exc:
        line = data.count(b"\n", 0, exc.offset) + 1
        return None, None, ParseError(str(exc), line)
    try:
        tree = parse_tree(text)  # quiet: invalid escape sequences and the like are not ours to print
    except SyntaxError as exc:
        return text, None, ParseError(exc.msg, exc.lineno, syntax=True)
    except ValueError:  # a NUL byte (Python < 3.12 raises ValueError for it)
        line = text.count("\n", 0, max(text.find("\0"), 0)) + 1
        return text, None, ParseError("source contains a null byte", line)
    except (RecursionError, MemoryError):
        return text, None, ParseError("too deeply nested for Python's parser", None)
    return text, tree, None


def changed_python_files(changeset: ChangeSet) -> list[FileChange]:
    """The Python files whose content the change writes to: text, not deleted, with added or moved lines."""
    return [
        f
        for f in changeset.files
        if is_python(f.path)
        and f.writes_lines
        and not f.binary
        and f.new_blob is not None
        and f.status != "D"
    ]


def python_sources(context: Context, want: Callable[[str], bool] | None = None) -> dict[str, PySource]:
    """path -> PySource for the changed Python files (those `want` accepts): read in one git call and
    parsed on first request, once per ChangeSet (the context's memo), whichever family asks first."""
    changeset = context.changeset
    parsed: dict[str, PySource] = context.kept("pysource", dict)
    trees: Trees = context.kept("pysource.trees", Trees)
    files = [f for f in changed_python_files(changeset) if want is None or want(f.path)]
    missing = [f for f in files if f.path not in parsed]
    if missing:
        contents = context.contents([f.path for f in missing])
        outlines = _outlines(context, missing, contents)
        for f in missing:
            if f.path in contents:
                # Not kept for the run (Context.analysed): measured on real ranges, a changed file's content
                # is judged once, and keeping its tree only made the collector's walks longer.
                parsed[f.path] = outlines.get(f.path) or parse_source(f.path, contents[f.path], _added(f))
                _remember_spans(context, f, parsed[f.path])
                trees.add(parsed[f.path])
        refused = [s for f in missing if (s := parsed.get(f.path)) and s.error and s.error.syntax]
        if refused:
            _ask_project_python(context, refused)
    return {f.path: parsed[f.path] for f in files if f.path in parsed}


def _outlines(context: Context, files: list[FileChange], contents: dict[str, bytes]) -> dict[str, PySource]:
    """The long modules whose previous version's top-level statements are known, parsed incrementally
    (djgate.rules.incremental): path -> PySource with an outline, for those that could be."""
    from djgate.rules.incremental import OUTLINE_FROM, outline

    spans = context.spans
    if spans is None:
        return {}
    known = [
        (f, old_spans)
        for f in files
        if f.old_blob
        and f.path in contents
        and contents[f.path].count(b"\n") >= OUTLINE_FROM
        and (old_spans := spans.get(f.old_blob)) is not None
    ]
    if not known:
        return {}
    olds = context.old_contents(f.old_path or f.path for f, _ in known)
    found = {}
    for change, old_spans in known:
        path = change.path
        try:
            old, new = decode_source(olds[change.old_path or path]), decode_source(contents[path])
        except (KeyError, SourceDecodeError):
            continue
        added = _added(change)
        result = outline(old, new, old_spans, (*added, *(m.number for m in change.moved)))
        if result is not None:
            found[path] = PySource(path, new, None, None, added, outlined=result.module, lines=result.lines)
            spans.put(change.new_blob or "", result.spans)
        log.debug("%s: parsed %s", path, "incrementally" if result else "whole (not incrementally)")
    return found


def _added(change: FileChange) -> tuple[int, ...]:
    """The numbers of the lines a change adds to a file, sorted (as PySource.added holds them)."""
    if isinstance(change.added, AddedText):
        return tuple(change.added.numbers())
    return tuple(sorted({a.number for a in change.added}))


def _remember_spans(context: Context, change: FileChange, source: PySource) -> None:
    """The spans of a long module parsed whole, for its next change."""
    from djgate.rules.incremental import OUTLINE_FROM, spans_of

    spans, whole = context.spans, source.whole
    long = source.outlined is None and source.line_count >= OUTLINE_FROM
    if spans is not None and whole is not None and change.new_blob and long:
        spans.put(change.new_blob, spans_of(whole))


def _ask_project_python(context: Context, sources: list[PySource]) -> None:
    """Files djgate's Python refuses, judged for the project's Python when that is newer (see pyversion):
    its syntax error replaces djgate's; a file it parses, or that none could be asked about while the line
    djgate's parser stopped at may hold newer syntax, is unjudged."""
    from djgate.pyversion import looks_newer, project_verdict, show

    pyproject = context.path_contents(["pyproject.toml"]).get("pyproject.toml")
    verdict = project_verdict(context.python(), pyproject, {s.path: s.text or "" for s in sources})
    if verdict is None:
        return
    for source in sources:
        asked = verdict.answers is not None and source.path in verdict.answers
        answer = verdict.answers.get(source.path) if verdict.answers is not None else None
        if answer is not None:
            source.error = ParseError(f"{answer.message} (Python {show(verdict.version)})", answer.line)
        elif not asked and source.error and not looks_newer(source.line(source.error.line or 0)):
            continue  # no newer syntax where the parser stopped: an error in every Python, DJG500 as ever
        else:
            source.error = None
            source.unjudged = Unjudged(show(verdict.version), verdict.via, asked)
