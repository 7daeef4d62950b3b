"""DJG5xx: added Python code parses, and prints nothing and stops in no debugger.

Found on the syntax tree (a `print` in a string or a comment is not a call), on the lines the change adds.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from djgate.findings import Finding
from djgate.globs import GlobSet
from djgate.rules import Context, rule
from djgate.rules.pysource import Parents, PySource, dotted, is_migration, is_test_file, python_sources

if TYPE_CHECKING:
    import ast

DEBUGGER_MODULES = frozenset(
    {"pdb", "ipdb", "pudb", "pdbr", "pdbpp", "wdb", "rpdb", "remote_pdb", "web_pdb", "celery.contrib.rdb"}
)
COMMAND_BASES = frozenset({"BaseCommand", "LabelCommand", "AppCommand"})
# A module importing one of these parses its own command line: a program, whose prints are its output.
COMMAND_LINE_MODULES = frozenset({"argparse", "optparse", "getopt", "click", "typer", "docopt", "fire"})
NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)


def noqa_allows(line: str, code: str) -> bool:
    """ruff's and flake8's `# noqa` (every code) or `# noqa: T201` (the codes named) on this line."""
    if "noqa" not in line.lower():
        return False
    for match in NOQA.finditer(line):
        if not match["codes"] or code in re.split(r"[,\s]+", match["codes"].upper()):
            return True
    return False


@rule(
    "DJG500",
    "syntax-error",
    family="print",
    summary="A Python file of the change does not parse.",
    why="""
        A module that does not parse breaks every import of it: the app, its tests, `manage.py`. The
        print and debugger checks cannot judge it either.
    """,
    fix="Fix the syntax error at the line shown (or the file's encoding, when that is what fails).",
    bad="def total(order)\n    return order.amount",
    good="def total(order):\n    return order.amount",
)
def syntax_error(context: Context) -> Iterator[Finding]:
    """Each `.py` file the change adds lines to is decoded with its declared encoding (PEP 263, else
    UTF-8) and parsed for the project's Python. djgate parses with its own; only when that fails, and
    the project's Python is newer (the interpreter found as for DJG301 or `python3.X` on PATH, X.Y from
    `requires-python`; else `requires-python` alone), is that interpreter asked, in one process for the
    run: its error is reported; a file it parses is DJG503. With none to ask, an error on a line that
    holds no newer syntax is reported, and the file is DJG503 otherwise."""
    for source in python_sources(context).values():
        if source.error is not None:
            line = source.error.line
            if line is None and source.text and "\0" in source.text:  # Python 3.11.4+ names no line for it
                line = source.text.count("\n", 0, source.text.index("\0")) + 1
            yield Finding(
                "DJG500", f"{source.path} does not parse: {source.error.message}", path=source.path, line=line
            )


@rule(
    "DJG503",
    "newer-python",
    family="print",
    severity="notice",
    summary="A Python file is written for a newer Python than djgate runs on: not judged.",
    why="""
        djgate reads code with the Python it runs on. A file using a newer Python's syntax (`type X = ...`
        and `def f[T](...)` are 3.12, `class C[T = int]` 3.13, f-strings nesting the same quotes 3.12)
        has no syntax tree there, so the rules that read code (DJG501, DJG502, DJG402, DJG6xx) skip it.
    """,
    fix="""
        Run djgate on the project's Python (install it in the project's environment, or point pre-commit's
        `default_language_version` at it); when that Python cannot be found, set `[tool.djgate] python` so
        djgate can at least ask it whether the file parses (DJG500).
    """,
    bad="type OrderId = int  # project on 3.12, djgate on 3.11",
    good="# (nothing to change in the code: run djgate on Python 3.12)",
)
def newer_python(context: Context) -> Iterator[Finding]:
    """A changed file djgate's Python cannot parse, while the project's Python is newer (its
    interpreter, else `requires-python`; see DJG500): when the project's interpreter parses it, or none of
    that version was found to ask and the line djgate's parser stopped at may hold newer syntax (a `type`
    statement, type parameters, an f- or t-string, `except A, B:`), the file is reported here and not
    judged by the rules that read code. Never blocks."""
    from djgate.pyversion import OWN, show

    ours = show(OWN)
    for source in python_sources(context).values():
        why = source.unjudged
        if why is None:
            continue
        if why.parsed:
            message = f"is written for Python {why.version}: it parses there, not on djgate's Python {ours}"
            hint = f"run djgate on Python {why.version} (in the project's environment) to judge its code"
        else:
            message = (
                f"does not parse on djgate's Python {ours}, and no Python {why.version} (the project's, "
                f"from {why.via}) was found to tell whether it parses there"
            )
            hint = (
                f"set [tool.djgate] python to the project's Python {why.version} interpreter, or run "
                f"djgate on it"
            )
        yield Finding(
            "DJG503",
            f"{source.path} {message}; not judged by the rules that read code",
            path=source.path,
            hint=hint,
        )


class Imports:
    """What the module's import statements bind: local names of pprint and debugger modules and functions."""

    def __init__(self) -> None:
        self.pprint_modules: set[str] = {"pprint"}
        self.pprint_functions: set[str] = {"pprint"}
        self.debugger_modules: set[str] = set()
        self.debugger_functions: set[str] = set()
        self.command_line = False  # a command-line parser is imported (argparse, click, ...)

    def add(self, node: ast.Import | ast.ImportFrom) -> None:
        import ast

        if isinstance(node, ast.Import):
            self.command_line |= any(a.name.split(".")[0] in COMMAND_LINE_MODULES for a in node.names)
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                if alias.name == "pprint":
                    self.pprint_modules.add(local)
                elif alias.name in DEBUGGER_MODULES:
                    self.debugger_modules.add(alias.asname or alias.name)
        elif (node.module or "").split(".")[0] in COMMAND_LINE_MODULES and not node.level:
            self.command_line = True
        elif node.module == "pprint":
            self.pprint_functions |= {a.asname or a.name for a in node.names if a.name in ("pprint", "pp")}
        elif node.module in DEBUGGER_MODULES or _is_ipython_embed(node.module, [a.name for a in node.names]):
            self.debugger_functions |= {a.asname or a.name for a in node.names}


def _is_ipython_embed(module: str | None, names: list[str]) -> bool:
    return bool(module) and str(module).startswith("IPython") and "embed" in names


def module_imports(source: PySource) -> Imports:
    """Imports at module level (and in module-level if/try blocks): where pprint and debuggers come from."""
    import ast

    imports = Imports()
    stack = list(source.outline.body) if source.outline else []
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            imports.add(stmt)
        elif isinstance(stmt, (ast.If, ast.Try)):
            stack.extend(stmt.body + stmt.orelse + getattr(stmt, "finalbody", []))
            for handler in getattr(stmt, "handlers", []):
                stack.extend(handler.body)
    return imports


def _under_main_guard(node: ast.AST, parents: Parents | None) -> bool:
    """Inside the body of `if __name__ == "__main__":` (either way round)?"""
    import ast

    for parent in parents or ():
        if isinstance(parent, ast.If) and _is_main_test(parent.test):
            end = parent.body[-1].end_lineno or parent.body[-1].lineno
            if getattr(node, "lineno", 0) <= end:
                return True
    return False


def _is_main_test(test: ast.expr) -> bool:
    import ast

    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def _in_command(path: str, parents: Parents | None) -> bool:
    """In a Django management command: a subclass of BaseCommand (or a command module)."""
    import ast

    for parent in parents or ():
        if isinstance(parent, ast.ClassDef):
            for base in parent.bases:
                name = dotted(base)
                if name and name.rsplit(".", 1)[-1] in COMMAND_BASES:
                    return True
    return "/management/commands/" in f"/{path}"


def lines_naming(source: PySource, words: Iterable[str]) -> list[int]:
    """The added lines whose text contains one of these names: the only ones worth a walk of the tree."""
    words = tuple(set(words))
    if not any(word in source.added_text for word in words):  # one search over all the added lines
        return []
    return [n for n in source.added if any(word in source.line(n) for word in words)]


# A directory holding one of these is an app or the project package: what DJG501 judges is under one.
DJANGO_MARKERS = (
    "apps.py",
    "models.py",
    "models/__init__.py",
    "migrations/__init__.py",
    "urls.py",
    "settings.py",
    "settings/__init__.py",
    "wsgi.py",
    "asgi.py",
)


def django_code(context: Context, paths: Iterable[str]) -> set[str]:
    """The paths that are the project's Django code: in a known app, a management command, or under a
    directory holding an app's or the project package's files (DJANGO_MARKERS, in the judged tree); never
    the `script_paths` nor `exclude`. One look-up in git for all the paths, asked only for a finding."""
    scripts = GlobSet(context.config.script_paths)
    judged: set[str] = set()
    markers: dict[str, set[str]] = {}
    for path in paths:
        if scripts.match(path) or context.apps.exclude.match(path):
            continue
        directories = _directories(path)
        if "/management/commands/" in f"/{path}" or any(d in context.apps.apps for d in directories):
            judged.add(path)
        else:
            markers[path] = {posixpath.join(d, m) for d in directories for m in DJANGO_MARKERS}
    if markers:
        existing = context.existing_paths(sorted(set().union(*markers.values())))
        judged.update(p for p, wanted in markers.items() if not wanted.isdisjoint(existing))
    return judged


def _directories(path: str) -> list[str]:
    """The directories a path is in, innermost first, the repository root ("") last."""
    directories = []
    while path:
        path = posixpath.dirname(path)
        directories.append(path)
    return directories


def _added_calls(source: PySource, lines: list[int]) -> Iterator[tuple[ast.Call, Parents | None]]:
    import ast

    for node, parents in source.walk_touched(lines):
        if isinstance(node, ast.Call) and source.is_added(node.lineno):
            yield node, parents


@rule(
    "DJG501",
    "print-call",
    family="print",
    summary="A print() or pprint() call is added to app or project code.",
    why="""
        print() writes to a stdout nobody reads in production (gunicorn, celery), skips log levels,
        handlers and formatting, and leaks data into container logs. Django's logging and a management
        command's `self.stdout` do the job properly and can be tested.
    """,
    fix="""
        Log instead: `logger = logging.getLogger(__name__)` at module level, then `logger.info(...)`; in a
        management command, `self.stdout.write(...)`. Scripts (outside the Django code, or in
        `script_paths`), a `if __name__ == "__main__":` block, migrations and test files may print; other
        places that must, take `# noqa: T201` or `per_path_ignores`.
    """,
    bad='def refund(order):\n    print("refunding", order.pk)',
    good="""
        logger = logging.getLogger(__name__)


        def refund(order):
            logger.info("refunding %s", order.pk)
    """,
)
def print_call(context: Context) -> Iterator[Finding]:
    """An added call to `print`, `pprint.pprint`/`pprint.pp` or a `pprint`/`pp` imported from pprint (by
    the syntax tree; `file=sys.stderr` does not excuse it), in the project's Django code: an app, the
    project package (a directory with `settings.py`, `urls.py`, `wsgi.py`, `asgi.py`, `models.py`,
    `apps.py` or `migrations/` holds Django code, and so does everything below it) or a management command.
    Not judged: stand-alone scripts, i.e. `.py` files outside that code (a top-level `scripts/`, `setup.py`,
    CI helpers) and those matching `script_paths` (`scripts/`, `bin/`, `tools/`, `deploy/`, `ci/`, ...);
    modules that parse their own command line (import argparse, click, typer, ...; management commands
    excepted); migrations (their output is `migrate`'s console); code under `if __name__ == "__main__":`;
    test files (`tests/`, `test_*.py`, `*_tests.py`, `tests.py`, `conftest.py`); lines with `# noqa: T201`
    (T203 for pprint) or a bare `# noqa`; `per_path_ignores`. On a merge, only the lines in neither
    parent."""
    found: list[Finding] = []
    for source in python_sources(context).values():
        if not source.parsed or is_test_file(source.path) or is_migration(source.path):
            continue
        found.extend(_prints(source))
    if found:
        judged = django_code(context, {f.path for f in found if f.path})
        yield from (f for f in found if f.path in judged)


def _prints(source: PySource) -> Iterator[Finding]:
    """The print() and pprint() calls a file adds, outside a main guard and without a noqa, unless the
    file is a command-line program (not a management command) that imports argparse, click, ..."""
    imports = module_imports(source)
    if imports.command_line and "/management/commands/" not in f"/{source.path}":
        return
    lines = lines_naming(source, ("print", *imports.pprint_functions, *imports.pprint_modules))
    for call, parents in _added_calls(source, lines):
        name = dotted(call.func)
        if name is None:
            continue
        if name in ("print", "builtins.print"):
            what, ruff_code = "print()", "T201"
        else:
            module, _, attr = name.rpartition(".")
            pprint = (module in imports.pprint_modules and attr in ("pprint", "pp")) or (
                not module and attr in imports.pprint_functions
            )
            if not pprint:
                continue
            what, ruff_code = f"{name}()", "T203"
        if _under_main_guard(call, parents) or noqa_allows(source.line(call.lineno), ruff_code):
            continue
        if _in_command(source.path, parents):
            hint = "in a management command, write to self.stdout: self.stdout.write(...)"
        else:
            hint = "log instead: logger = logging.getLogger(__name__) at module level, then logger.info(...)"
        yield Finding("DJG501", f"{what} call added", path=source.path, line=call.lineno, hint=hint)


@rule(
    "DJG502",
    "debugger",
    family="print",
    summary="A breakpoint(), debugger call or debugger import is added.",
    why="""
        A forgotten breakpoint hangs a test run, a CI job or a production worker waiting for a terminal
        that is not there; a debugger import is usually one line away from one.
    """,
    fix="Remove the breakpoint and the import before committing.",
    bad="import pdb; pdb.set_trace()",
    good="# (nothing: use the debugger from your editor, or `python -m pdb` at the command line)",
)
def debugger(context: Context) -> Iterator[Finding]:
    """On added lines, in any Python file (tests too): `breakpoint()`, a call into `pdb`, `ipdb`, `pudb`
    (and pdbr, pdbpp, wdb, rpdb, remote_pdb, web_pdb, celery.contrib.rdb) such as `pdb.set_trace()`,
    `IPython.embed()`, a function imported from them, and the imports themselves. `# noqa: T100` (or a
    bare `# noqa`) on the line exempts it. On a merge, only the lines in neither parent, like DJG501."""
    import ast

    for source in python_sources(context).values():
        if not source.parsed:
            continue
        imports = module_imports(source)
        names = ("breakpoint", "embed", "pdb", "pudb", "wdb", "rdb", *imports.debugger_modules)
        lines = lines_naming(source, (*names, *imports.debugger_functions))
        reported: set[int] = set()
        for node, _ in source.walk_touched(lines) if lines else ():
            line = getattr(node, "lineno", 0)
            if line in reported or not source.is_added(line):
                continue
            what = None
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imports.add(node)
                what = _debugger_import(node)
            elif isinstance(node, ast.Call):
                what = _debugger_call(node, imports)
            if what is None or noqa_allows(source.line(line), "T100"):
                continue
            reported.add(line)
            yield Finding(
                "DJG502",
                f"{what} added",
                path=source.path,
                line=line,
                hint="remove it before committing",
            )


def _debugger_import(node: ast.Import | ast.ImportFrom) -> str | None:
    import ast

    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name in DEBUGGER_MODULES:
                return f"import {alias.name}"
        return None
    names = [a.name for a in node.names]
    if node.module in DEBUGGER_MODULES or _is_ipython_embed(node.module, names):
        return f"from {node.module} import {', '.join(names)}"
    return None


def _debugger_call(node: ast.Call, imports: Imports) -> str | None:
    name = dotted(node.func)
    if name is None:
        return None
    if name in ("breakpoint", "builtins.breakpoint"):
        return "breakpoint()"
    module = name.rpartition(".")[0]
    if module in imports.debugger_modules or module in DEBUGGER_MODULES:
        return f"{name}()"
    if name in ("IPython.embed", "IPython.terminal.embed.embed") or name in imports.debugger_functions:
        return f"{name}()"
    return None
