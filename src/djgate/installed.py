"""INSTALLED_APPS read statically from a settings module's source: no import, no ast of the whole module.

Only the statements that bind the setting are parsed (a 1,300-line settings module takes ~10 ms to parse
whole; the hook path cannot pay that): assignments (`=`, `: list[str] =`, `+=`), `.append(x)`,
`.insert(i, x)`, `.extend([...])`, wherever they sit (`if DEBUG:` blocks too), with values made of string
literals in lists and tuples, `list(...)`/`tuple(...)`, `*spread`, `+`, and names bound the same way in the
same module (`INSTALLED_APPS = DJANGO_APPS + LOCAL_APPS`). Anything else (comprehensions, names imported
from another module, values computed at run time) adds nothing: the entries found are a lower bound.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ast

SETTING = "INSTALLED_APPS"
# One token of what may follow a statement's first line: strings and comments are skipped whole, so that
# brackets and newlines inside them do not count. (Compiled on first use, by re's cache.)
TOKEN_RE = (
    rb"#[^\n]*|(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''"
    rb"|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*')|[(\[{]|[)\]}]|\\\n|\n"
)
TEST_DIRS = {"tests", "test", "testing"}


def installed_apps(source: bytes) -> list[str]:
    """The entries a settings module's source puts in INSTALLED_APPS, in order, without duplicates."""
    if SETTING.encode() not in source:
        return []
    return list(dict.fromkeys(_bound_strings(source, SETTING, set())))


def is_test_settings(path: str) -> bool:
    """A settings module for the tests only: `test*.py`, `*_test(s).py`, `*_testing.py`, or in a tests
    package."""
    stem = posixpath.basename(path).removesuffix(".py")
    if stem.startswith("test") or stem.endswith(("_test", "_tests", "_testing")):
        return True
    return any(part in TEST_DIRS for part in path.split("/")[:-1])


def _bound_strings(source: bytes, name: str, seen: set[str]) -> Iterator[str]:
    """The strings every statement binding `name` (or adding to it) puts in it."""
    seen.add(name)
    for begin in _statement_starts(source, name):
        tree = _parse_statement(source, begin)
        for node in tree.body if tree is not None else ():
            for value in _added_values(node, name):
                yield from _strings(value, source, seen)


def _statement_starts(source: bytes, name: str) -> Iterator[int]:
    """Where each statement that binds `name` or calls one of its methods starts, at the start of a line."""
    word = name.encode()
    at = source.find(word)
    while at >= 0:  # bytes.find, not a multi-line regex: 20 times faster on a long settings module
        after = at + len(word)
        rest = source[after : after + 32].lstrip(b" \t")
        binds = rest[:1] in (b":", b".") or rest[:2] == b"+=" or (rest[:1] == b"=" and rest[:2] != b"==")
        if binds and not source[source.rfind(b"\n", 0, at) + 1 : at].strip(b" \t"):
            yield at
        at = source.find(word, after)


def _parse_statement(source: bytes, begin: int) -> ast.Module | None:
    """The statement starting at `begin`, parsed: cut where its brackets balance, counted line by line (what
    settings modules need), else cut by tokens (brackets inside strings or comments); None when neither
    parses (syntax this Python does not know, a look-alike)."""
    import ast

    for end in (_naive_end(source, begin), _end_of_statement(source, begin)):
        try:
            return ast.parse(source[begin:end])
        except (SyntaxError, ValueError):
            continue
    return None


def _naive_end(source: bytes, begin: int) -> int:
    depth = 0
    while begin < len(source):
        end = source.find(b"\n", begin)
        end = len(source) if end < 0 else end
        line = source[begin:end]
        depth += sum(line.count(c) for c in b"([{") - sum(line.count(c) for c in b")]}")
        if depth <= 0 and not line.rstrip().endswith(b"\\"):
            return end
        begin = end + 1
    return len(source)


def _end_of_statement(source: bytes, begin: int) -> int:
    depth = 0
    for token in re.compile(TOKEN_RE).finditer(source, begin):
        text = token.group()
        if text in (b"(", b"[", b"{"):
            depth += 1
        elif text in (b")", b"]", b"}"):
            depth -= 1
        elif text == b"\n" and depth <= 0:
            return token.start()
    return len(source)


def _added_values(node: ast.stmt, name: str) -> Iterator[ast.expr]:
    import ast

    value: ast.expr | None = None
    if isinstance(node, ast.Assign) and any(_is_name(t, name) for t in node.targets):
        value = node.value
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and _is_name(node.target, name):
        value = node.value if not isinstance(node, ast.AugAssign) or isinstance(node.op, ast.Add) else None
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        call, func = node.value, node.value.func
        if isinstance(func, ast.Attribute) and _is_name(func.value, name) and call.args:
            # append(x) and insert(i, x) add one entry; extend(xs) several.
            added = {"append": call.args[:1], "insert": call.args[1:2], "extend": []}.get(func.attr, [])
            value = call.args[0] if func.attr == "extend" else ast.List(elts=added) if added else None
    if value is not None:
        yield value


def _is_name(node: ast.expr, name: str) -> bool:
    import ast

    return isinstance(node, ast.Name) and node.id == name


def _strings(value: ast.expr, source: bytes, seen: set[str]) -> Iterator[str]:
    """The strings of a value made of string literals, lists, tuples, `+`, `*spread` and names."""
    import ast

    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        yield value.value
    elif isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        for element in value.elts:
            yield from _strings(element.value if isinstance(element, ast.Starred) else element, source, seen)
    elif isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        yield from _strings(value.left, source, seen)
        yield from _strings(value.right, source, seen)
    elif isinstance(value, ast.Call) and len(value.args) == 1:
        if _is_name(value.func, "list") or _is_name(value.func, "tuple"):
            yield from _strings(value.args[0], source, seen)
    elif isinstance(value, ast.Name) and value.id not in seen:
        yield from _bound_strings(source, value.id, seen)
