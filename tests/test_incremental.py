"""Incremental parsing (djgate.rules.incremental) against whole-file parsing: on real modules (the standard
library's and djgate's own) and random edits, an outline, when one is made, holds exactly the statements a
whole parse gives for the touched region and the module level, and the file parses whole; and the hooks
give the same verdicts either way."""

from __future__ import annotations

import ast
import difflib
import json
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from djgate.analyses import parse_tree
from djgate.rules.incremental import Span, outline, spans_of

from .conftest import Repo, djgate_process

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SRC = Path(__file__).resolve().parents[1] / "src" / "djgate"
REAL = [
    STDLIB / "argparse.py",
    STDLIB / "inspect.py",
    STDLIB / "typing.py",
    STDLIB / "dataclasses.py",
    SRC / "rules" / "workflow.py",
    SRC / "gitrepo.py",
]
# Lines an edit writes: code, comments, and what makes splitting unsafe or a file invalid.
SNIPPETS = [
    "x = 1",
    "    y = compute(x)",
    "def added(a, b):",
    "    return a + b",
    "class Added:",
    "    pass",
    "@decorator",
    "# a comment",
    "",
    "if x:",
    "else:",
    "elif y:",
    "except Exception:",
    "try:",
    "finally:",
    "value = (",
    ")",
    "items = [1,",
    "    2]",
    '"""',
    "'''",
    'text = """start of a string',
    "end of a string'''",
    "total = 1 + \\",
    "    2",
    "from __future__ import annotations",
    "import os; import sys",
    "print('x')",
    "match point:",
    "    case (0, 0):",
    "        pass",
    "async def fetch():",
    "    await thing()",
    "lambda: (yield)",
    "f'{x!r:>{width}}'",
    "\tmixed = 1",
    "return 1",
    "@",
]


def parsed(text: str) -> ast.Module | None:
    """The whole parse, as djgate makes it (real modules' invalid escapes warn nothing)."""
    try:
        return parse_tree(text)
    except (SyntaxError, ValueError):
        return None


edit = st.tuples(
    st.sampled_from(["insert", "replace", "delete"]),
    st.integers(0, 10**9),
    st.integers(1, 4),
    st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=4),
    st.integers(0, 2),
)


def apply(lines: list[str], edits: list[tuple[str, int, int, list[str], int]]) -> list[str]:
    lines = list(lines)
    for kind, where, count, snippet, indent in edits:
        index = where % max(len(lines), 1)
        written = ["    " * indent + s if s else s for s in snippet]
        if kind == "insert":
            lines[index:index] = written
        elif kind == "replace":
            lines[index : index + count] = written
        else:
            del lines[index : index + count]
    return lines


def added_lines(old: list[str], new: list[str]) -> tuple[int, ...]:
    """The new lines a diff calls added (difflib's alignment, which is not git's: the outline must not care)."""
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    return tuple(
        n + 1
        for tag, _, _, j1, j2 in matcher.get_opcodes()
        if tag in ("insert", "replace")
        for n in range(j1, j2)
    )


def check(old_text: str, new_text: str, added: tuple[int, ...]) -> bool:
    """Compare the outline with the whole parse; True when an outline was made."""
    old_tree = parsed(old_text)
    assert old_tree is not None
    result = outline(old_text, new_text, spans_of(old_tree), added)
    whole = parsed(new_text)
    if result is None:
        return False
    assert whole is not None, "an outline for a file that does not parse"
    same_statements(result.module.body, whole.body, added, top=True)
    assert result.spans == spans_of(whole)
    return True


def dumped(value: Any) -> Any:
    if isinstance(value, list):
        return [dumped(v) for v in value]
    return ast.dump(value, include_attributes=True) if isinstance(value, ast.AST) else value


def same_statements(mine: list[ast.stmt], whole: list[ast.stmt], added: tuple[int, ...], top: bool) -> None:
    """Each statement of the outline is the whole parse's at its line; a class of the outline may leave out
    functions and statements of its body the change does not touch (its end column is then unknown). Every
    statement the change touches is there, and at the top level every one that is not a definition."""
    theirs = {(stmt.lineno, stmt.col_offset): stmt for stmt in whole}  # `import os; import sys`: two
    for stmt in mine:
        other = theirs.get((stmt.lineno, stmt.col_offset))
        assert other is not None, f"statement at line {stmt.lineno} is not the whole parse's"
        if top and isinstance(stmt, ast.ClassDef) and isinstance(other, ast.ClassDef):
            header = ("name", "bases", "keywords", "decorator_list", "lineno", "col_offset", "end_lineno")
            for field in header:
                assert dumped(getattr(stmt, field)) == dumped(getattr(other, field)), (
                    f"class at line {stmt.lineno}: {field} differs"
                )
            assert stmt.end_col_offset in (None, other.end_col_offset)
            same_statements(stmt.body, other.body, added, top=False)
        else:
            assert ast.dump(stmt, include_attributes=True) == ast.dump(other, include_attributes=True), (
                f"statement at line {stmt.lineno} differs"
            )
    present = {(stmt.lineno, stmt.col_offset) for stmt in mine}
    definitions = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    for stmt in whole:
        first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
        last = stmt.end_lineno or stmt.lineno
        touched = any(first <= n <= last for n in added)
        if touched or (top and not isinstance(stmt, definitions)):
            assert (stmt.lineno, stmt.col_offset) in present, f"statement at line {stmt.lineno} missing"


@pytest.fixture(scope="module")
def real() -> list[tuple[str, list[str]]]:
    return [(path.name, path.read_text(encoding="utf-8").split("\n")) for path in REAL if path.exists()]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 100), edits=st.lists(edit, min_size=1, max_size=3))
def test_an_outline_agrees_with_the_whole_parse(
    real: list[tuple[str, list[str]]], which: int, edits: list[tuple[str, int, int, list[str], int]]
) -> None:
    _, old = real[which % len(real)]
    new = apply(old, edits)
    made = check("\n".join(old), "\n".join(new), added_lines(old, new))
    event(f"outline made: {made}")


def test_most_edits_of_real_modules_are_outlined(real: list[tuple[str, list[str]]]) -> None:
    """Not a vacuous equivalence: a plain edit in a function of a real module is parsed incrementally."""
    made = 0
    for _, old in real:
        tree = parsed("\n".join(old))
        assert tree is not None
        functions = [s for s in tree.body if isinstance(s, ast.FunctionDef | ast.ClassDef)]
        for stmt in functions[len(functions) // 2 : len(functions) // 2 + 5]:
            line = (stmt.end_lineno or stmt.lineno) - 1
            new = [*old[:line], old[line] + "  # changed", *old[line + 1 :]]
            made += check("\n".join(old), "\n".join(new), (line + 1,))
    assert made >= 20


@pytest.mark.parametrize(
    "edit, outlined",
    [
        (("insert", 30, 1, ["def late(a):", "    return a"], 0), True),
        (("insert", 30, 1, ['text = """open'], 0), False),  # a string left open: the whole file decides
        (("insert", 30, 1, ["from __future__ import barry_as_FLUFL"], 0), False),  # `<>` is an operator
        (("insert", 30, 1, ["from __future__ import annotations"], 0), True),  # compiles, parses the same
        (("insert", 0, 1, ["# -*- coding: latin-1 -*-"], 0), True),  # text, decoded: no declaration read
        (("insert", 0, 1, ["import os"], 0), True),  # the imports at the top
        (("insert", 30, 1, ["total = 1 + \\"], 0), False),  # a continuation into the next statement
        (("insert", 30, 1, ["else:", "    pass"], 0), False),  # attaches to the statement before
    ],
)
def test_what_is_not_safe_to_split_is_parsed_whole(
    edit: tuple[str, int, int, list[str], int], outlined: bool
) -> None:
    old = [f"def f{i}(x):\n    return x + {i}\n" for i in range(40)]
    old_lines = "\n".join(old).split("\n")
    new_lines = apply(old_lines, [edit])
    assert check("\n".join(old_lines), "\n".join(new_lines), added_lines(old_lines, new_lines)) is outlined


def test_a_string_a_change_opens_and_unchanged_text_closes_is_parsed_whole() -> None:
    # `x = """` swallows every function down to the quotes in the comment of the last line: a whole parse
    # reads one string. Parsed with the unchanged functions left out, the string would hold less text.
    old = ["import os", "", "x = 1", *long_module(40).split("\n"), 'y = 2  # """']
    new = [*old[:2], 'x = """', *old[3:]]
    assert check("\n".join(old), "\n".join(new), (3,)) is False


def test_changes_far_apart_parse_what_they_touch_and_not_what_lies_between(
    real: list[tuple[str, list[str]]],
) -> None:
    for name, old in real:
        tree = parsed("\n".join(old))
        assert tree is not None
        functions = [s for s in tree.body if isinstance(s, ast.FunctionDef)]
        if len(functions) < 6:
            continue
        first, last = functions[1], functions[-2]
        new = list(old)
        for stmt in (first, last):
            line = stmt.end_lineno or stmt.lineno
            new[line - 1] += "  # changed"
        edited = ((first.end_lineno or 0), (last.end_lineno or 0))
        assert check("\n".join(old), "\n".join(new), edited), name
        result = outline("\n".join(old), "\n".join(new), spans_of(tree), edited)
        assert result is not None
        outlined = [s.name for s in result.module.body if isinstance(s, ast.FunctionDef | ast.ClassDef)]
        assert outlined == [first.name, last.name], name


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    which=st.integers(0, 100),
    edits=st.lists(edit, min_size=1, max_size=4),
    extra=st.lists(st.integers(1, 10**9), max_size=3),
)
def test_the_alignment_keeps_equal_lines_in_order_and_never_a_written_one(
    real: list[tuple[str, list[str]]],
    which: int,
    edits: list[tuple[str, int, int, list[str], int]],
    extra: list[int],
) -> None:
    from djgate.rules.incremental import _unchanged_runs

    _, old = real[which % len(real)]
    new = apply(old, edits)
    # Lines git may call written though they equal an old line (moved, or aligned otherwise).
    written = sorted({*added_lines(old, new), *(1 + n % len(new) for n in extra)})
    runs = _unchanged_runs(old, new, written)
    last_old = last_new = 0
    for first, stop, shift in runs:
        assert last_old <= first < stop and last_new <= first + shift
        assert old[first:stop] == new[first + shift : stop + shift]
        assert not any(first + shift < n <= stop + shift for n in written)
        last_old, last_new = stop, stop + shift
    if not written and old == new:
        assert runs == [(0, len(old), 0)]


def long_class() -> list[str]:
    lines = ["import os", "", "", "class Shop:", '    """A shop."""', "", "    kind = 'shop'", ""]
    for i in range(40):
        lines += [f"    def method_{i}(self, x):", f"        return x + {i}", ""]
    return [*lines, "", "def after():", "    return 1", ""]


CLASS_EDITS = {  # an edit of long_class(), and whether it is outlined
    "in a method": (("replace", 69, 1, ["        return x * 2"], 0), True),
    "a method more": (("insert", 11, 1, ["    def added(self):", "        return 0"], 0), True),
    "a statement at column 0: the next method is an error": (("insert", 11, 1, ["x = 1"], 0), False),
    "the methods after it move to another class": (("insert", 11, 1, ["x = 1", "class Other:"], 0), True),
    "deeper: the method before takes it (read with its class whole)": (
        ("insert", 11, 1, ["        extra = 1"], 0),
        True,
    ),
    # With a method changed too (else the class is kept whole, and the line after it is an error alone).
    "deeper after the last method: the method takes it": (
        [("insert", 127, 1, ["        extra = 1"], 0), ("replace", 69, 1, ["        return x * 2"], 0)],
        True,
    ),
    "a decorator of the method after it (read with its class whole)": (
        ("insert", 11, 1, ["    @decorated"], 0),
        True,
    ),
    "tabs after spaces": (("insert", 11, 1, ["\tdef tabbed(self):", "\t\treturn 1"], 0), False),
    "an unindent that matches none": (("insert", 11, 1, ["  def shallow(self):", "    return 1"], 0), False),
    "the header": (("replace", 3, 1, ["class Shop(Base):"], 0), True),
    "the first method follows the header": (("delete", 4, 4, [], 0), True),
    "a string left open in the class": (("insert", 11, 1, ['    text = """'], 0), False),
}


@pytest.mark.parametrize("edit, outlined", CLASS_EDITS.values(), ids=CLASS_EDITS.keys())
def test_a_long_class_re_parses_the_methods_a_change_touches(edit: Any, outlined: bool) -> None:
    old = long_class()
    new = apply(old, edit if isinstance(edit, list) else [edit])
    written = added_lines(old, new)
    assert check("\n".join(old), "\n".join(new), written) is outlined
    if outlined and edit == CLASS_EDITS["in a method"][0]:
        result = outline("\n".join(old), "\n".join(new), spans_of(ast.parse("\n".join(old))), written)
        assert result is not None
        (shop,) = [s for s in result.module.body if isinstance(s, ast.ClassDef)]
        # The statements before the first method (the piece with the header), and one method of forty.
        assert [getattr(s, "name", None) for s in shop.body] == [None, None, "method_20"]


def test_statements_sharing_a_line_are_one_span() -> None:
    spans: tuple[Span, ...] = spans_of(
        ast.parse("import os; import sys\n\n\n@d\ndef f():\n    pass\nclass C: pass\n")
    )
    assert spans == ((1, 1, 0), (4, 6, 1), (7, 7, 1))


# -- the hooks ---------------------------------------------------------------------------------------------


def long_module(functions: int) -> str:
    body = ["import requests", "from django.http import JsonResponse", "", ""]
    for i in range(functions):
        body += [
            f"def view_{i}(request, pk):",
            f"    data = {{'id': pk, 'n': {i}}}",
            "    return JsonResponse(data)",
            "",
            "",
        ]
    return "\n".join(body)


def staged(repo: Repo) -> tuple[list[tuple[str, int]], str]:
    run = djgate_process("-v", "check-staged", "--format", "json", cwd=repo.path)
    assert run.returncode in (0, 1), run.stderr
    return sorted((f["code"], f["line"]) for f in json.loads(run.stdout)["findings"]), run.stderr


@pytest.mark.parametrize(
    "change, expected",
    [
        ("    data = {'id': pk, 'n': 100}\n    print(data)", [("DJG501", 507)]),
        ("    data = requests.get('https://example.com').json()", [("DJG601", 506)]),
        ("    data = {'id': pk, 'n': (100}", [("DJG500", 506)]),
        ("    data = {'id': pk, 'n': 100}  # fine", []),
    ],
    ids=["print", "module-import-seen", "syntax-error", "nothing"],
)
def test_a_long_module_changed_again_is_judged_as_a_whole_parse_judges_it(
    shop: Repo, djgate: Any, change: str, expected: list[tuple[str, int]]
) -> None:
    path = "orders/views.py"
    text = long_module(200)
    shop.put(path, text)
    staged(shop)  # the hook parses the version it lets in: its spans are kept for the next change
    shop.commit()
    changed = text.replace("    data = {'id': pk, 'n': 100}", change)
    shop.put(path, changed)
    found, said = staged(shop)
    assert found == expected
    if expected and expected[0][0] == "DJG500":
        assert "parsed whole" in said
    else:
        assert f"{path}: parsed incrementally" in said
    # The verdict of check-range on the commit that results is the same, parsed whole or not.
    shop.commit("fix(orders): change a view")
    run = djgate("check-range", "HEAD~1..HEAD", "--format", "json", "--select", "DJG500,DJG501,DJG601")
    assert run.code in (0, 1), run.err
    assert sorted((f["code"], f["line"]) for f in json.loads(run.out)["findings"]) == expected


def test_a_method_of_a_long_class_changed_again_is_judged_as_a_whole_parse_judges_it(
    shop: Repo, djgate: Any
) -> None:
    # A viewset-shaped module: one class of 200 methods. Only the changed method is parsed again.
    path = "orders/views.py"
    body = ["import requests", "from django.http import JsonResponse", "", "", "class OrderViews:"]
    for i in range(200):
        body += [f"    def view_{i}(self, request, pk):", f"        data = {{'id': pk, 'n': {i}}}", ""]
        body += ["        return JsonResponse(data)", ""]
    text = "\n".join(body)
    shop.put(path, text)
    staged(shop)
    shop.commit()
    shop.put(
        path,
        text.replace(
            "        data = {'id': pk, 'n': 100}", "        data = {'id': pk, 'n': 100}\n        print(data)"
        ),
    )
    found, said = staged(shop)
    assert found == [("DJG501", 508)]
    assert f"{path}: parsed incrementally" in said
    shop.commit("fix(orders): change a view")
    run = djgate("check-range", "HEAD~1..HEAD", "--format", "json", "--select", "DJG500,DJG501")
    assert sorted((f["code"], f["line"]) for f in json.loads(run.out)["findings"]) == found


def test_a_spans_cache_that_cannot_be_read_is_empty(shop: Repo) -> None:
    path = "orders/views.py"
    shop.put(path, long_module(200))
    staged(shop)
    cache = shop.path / ".git" / "djgate" / "spans"
    assert cache.is_file()
    cache.write_bytes(b"\x00not marshal")
    shop.commit()
    shop.put(path, long_module(200).replace("'n': 100}", "'n': 100}\n    print(data)"))
    found, said = staged(shop)
    assert found == [("DJG501", 507)]
    assert f"{path}: parsed" not in said  # nothing known of the previous version: parsed whole, quietly


def test_the_spans_cache_keeps_the_most_recent_entries(tmp_path: Path) -> None:
    from djgate.rules.incremental import SpanCache

    cache = SpanCache(tmp_path / "spans")
    cache.LIMIT = 3
    for n in range(5):
        cache.put(f"oid{n}", ((1, n + 1, False),))
    cache.put("oid2", ((1, 9, False),))  # used again: the most recent
    cache.save()
    again = SpanCache(tmp_path / "spans")
    assert [again.get(f"oid{n}") for n in range(5)] == [
        None,
        None,
        ((1, 9, False),),
        ((1, 4, False),),
        ((1, 5, False),),
    ]


def test_the_hooks_given_file_names_keep_spans_too(shop: Repo) -> None:
    # djgate-print and djgate-workflow get the staged file names from pre-commit.
    path = "orders/views.py"
    shop.put(path, long_module(200))
    named = ("-v", "check-staged", "--family", "print", "--format", "json", "--", path)
    assert djgate_process(*named, cwd=shop.path).returncode == 0
    shop.commit()
    shop.put(path, long_module(200).replace("'n': 100}", "'n': 100}\n    print(data)"))
    run = djgate_process(*named, cwd=shop.path)
    assert [(f["code"], f["line"]) for f in json.loads(run.stdout)["findings"]] == [("DJG501", 507)]
    assert f"{path}: parsed incrementally" in run.stderr
