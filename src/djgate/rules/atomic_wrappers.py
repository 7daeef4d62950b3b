"""The project's own wrappers of `transaction.atomic`, for DJG602: which names a changed function enters as a
decorator or a `with` item run its code inside atomic, and which helpers run only inside their callers'
transaction.

A function that DJG602 would report is read again when it enters, as a context manager or a decorator, a
name that turns out to be one of the project's atomic wrappers: configured (`atomic_wrappers`), defined in
the same module, or defined in the repository module it is imported from. Only those modules are read
(through the context's path_contents, one git call for a range's commits): never a scan of the repository.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from djgate.rules import Context
from djgate.rules.pysource import PySource, dotted
from djgate.rules.workflow_facts import FunctionFacts, last_name, mentions_atomic

if TYPE_CHECKING:
    import ast

    from djgate.project import AppMap
    from djgate.rules.workflow_facts import Function


class Origin(NamedTuple):
    """Where a name of a module comes from: its dotted name, and whether that name is its path from the
    repository's root (a relative import, or the module's own definition) or an import as written."""

    qualified: str
    rooted: bool


def wrapper_candidates(func: Function, parents: Iterable[ast.AST] | None) -> set[str]:
    """What a function (or its class) enters as a decorator or a `with` item, as a dotted name, but atomic
    itself: `traced_atomic_transaction` of `@traced_atomic_transaction()`, `db.traced_atomic`, and the
    decorator that `method_decorator(...)` applies."""
    import ast

    classes = [p for p in parents or () if isinstance(p, ast.ClassDef)]
    exprs = [*func.decorator_list, *(d for c in classes[:1] for d in c.decorator_list)]
    exprs += [
        i.context_expr for n in ast.walk(func) if isinstance(n, ast.With | ast.AsyncWith) for i in n.items
    ]
    names = set()
    for expr in exprs:
        callee = expr.func if isinstance(expr, ast.Call) else expr
        if isinstance(expr, ast.Call) and last_name(dotted(callee) or "") == "method_decorator" and expr.args:
            first = expr.args[0]
            callee = first.func if isinstance(first, ast.Call) else first
        name = dotted(callee)
        if name and last_name(name) != "atomic":
            names.add(name)
    return names


def module_imports(stmts: list[ast.stmt], path: str) -> dict[str, Origin]:
    """Local name -> origin for the imports among `stmts` (and in their if/try blocks, not functions)."""
    import ast

    package = posixpath.dirname(path).split("/") if posixpath.dirname(path) else []
    found: dict[str, Origin] = {}
    stack = list(reversed(stmts))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name if alias.asname else alias.name.partition(".")[0]
                found[alias.asname or name] = Origin(name, False)
        elif isinstance(node, ast.ImportFrom) and node.level <= len(package) + 1:
            parts = package[: len(package) - node.level + 1] if node.level else []
            base = ".".join([*parts, *([node.module] if node.module else [])])
            for alias in node.names:
                if alias.name != "*":
                    found[alias.asname or alias.name] = Origin(
                        f"{base}.{alias.name}".lstrip("."), node.level > 0
                    )
        elif isinstance(node, ast.If | ast.Try):
            nested = node.body + node.orelse + getattr(node, "finalbody", [])
            nested += [s for h in getattr(node, "handlers", []) for s in h.body]
            stack.extend(reversed(nested))
    return found


def source_roots(apps: AppMap) -> set[str]:
    """The directories the project's packages sit in, from the apps whose AppConfig names them (an app
    `dcim` in `netbox/dcim` puts them under `netbox/`; `shop.orders` in `shop/orders`, at the root)."""
    roots = set()
    for app in apps.apps.values():
        stem = (app.name or "").replace(".", "/")
        if stem and (app.root == stem or app.root.endswith(f"/{stem}")):
            roots.add(app.root[: -len(stem)].rstrip("/"))
    return roots


def module_files(module: str, rooted: bool, path: str, roots: set[str]) -> list[str]:
    """The files that may hold a module of the project: from the repository's root for a rooted name; for
    an import as written, under the directory of `path` named like its first package, else in the
    source roots above `path`. A library's module is in none of them (name it in `atomic_wrappers`)."""
    first = module.partition(".")[0]
    dirs = posixpath.dirname(path).split("/")
    if rooted:
        found = [""]
    elif first in dirs:
        found = ["/".join(dirs[: dirs.index(first)])]
    else:
        found = sorted(r for r in roots if not r or path.startswith(f"{r}/"))
    stems = [posixpath.join(root, module.replace(".", "/")) for root in found]
    return [f"{stem}{end}" for stem in stems for end in (".py", "/__init__.py")]


def _atomic_callable(node: ast.expr, known: frozenset[str]) -> bool:
    """`transaction.atomic`, `atomic`, `Atomic`, or a wrapper already known."""
    name = dotted(node) or ""
    return last_name(name) in ("atomic", "Atomic") or name in known


def enters_atomic(node: ast.AST, known: frozenset[str]) -> bool:
    """Does a top-level definition run its caller's code inside transaction.atomic? A @contextmanager that
    yields inside `with atomic()`, a decorator whose inner function calls the decorated one inside it (or
    is decorated with atomic), a function that returns `atomic(...)`, a subclass of Atomic or a class whose
    `__enter__` enters it, a name bound to it (`replica_atomic = transaction.atomic(using="replica")`)."""
    import ast

    if isinstance(node, ast.ClassDef):
        if any(_atomic_callable(base, known) for base in node.bases):
            return True
        methods = [m for m in node.body if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)]
        return any(m.name in ("__enter__", "__aenter__") and mentions_atomic(m, known) for m in methods)
    if isinstance(node, ast.Call):  # an assigned value
        func = node.func
        partial = last_name(dotted(func) or "") == "partial" and node.args
        return _atomic_callable(node.args[0] if partial else func, known)
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return isinstance(node, ast.Name | ast.Attribute) and _atomic_callable(node, known)
    functions = [
        f for f in ast.walk(node) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
    ]
    parameters = {a.arg for f in functions for a in _parameters(f.args)}
    for inner in ast.walk(node):
        returned = inner.value if isinstance(inner, ast.Return) else None
        if isinstance(returned, ast.Call) and _atomic_callable(returned.func, known):
            return True
        region = _atomic_region(inner, node, known)
        for n in (n for stmt in region for n in ast.walk(stmt)):
            if isinstance(n, ast.Yield | ast.YieldFrom):
                return True
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in parameters:
                return True
    return False


def _atomic_region(inner: ast.AST, outer: ast.AST, known: frozenset[str]) -> list[ast.stmt]:
    """The statements a node runs inside atomic: a `with atomic()` body, a nested function decorated so."""
    import ast

    if isinstance(inner, ast.With | ast.AsyncWith):
        entered = any(mentions_atomic(item.context_expr, known) for item in inner.items)
    elif inner is not outer and isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
        entered = any(mentions_atomic(d, known) for d in inner.decorator_list)
    else:
        return []
    return inner.body if entered else []


def _parameters(arguments: ast.arguments) -> list[ast.arg]:
    found = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    return found + [a for a in (arguments.vararg, arguments.kwarg) if a is not None]


def _definitions(tree: ast.Module) -> dict[str, ast.AST]:
    """The module's top-level functions, classes, and names bound to a call or an attribute."""
    import ast

    found: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found[node.name] = node
        elif (
            isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        ):
            found[node.targets[0].id] = node.value
    return found


class DefinedWrappers:
    """Which top-level names of a module are atomic wrappers, decided when asked, with the wrappers of the
    same module a definition uses (one may be built on another)."""

    def __init__(self, tree: ast.Module | None) -> None:
        self.definitions = _definitions(tree) if tree is not None else {}
        self._decided: dict[str, bool] = {}

    def __contains__(self, name: str) -> bool:
        return self._decide(name, frozenset())

    def _decide(self, name: str, visiting: frozenset[str]) -> bool:
        import ast

        node = self.definitions.get(name)
        if name in self._decided or node is None or name in visiting:
            return self._decided.get(name, False)
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in self.definitions}
        known = frozenset(u for u in used - {name} if self._decide(u, visiting | {name}))
        self._decided[name] = enters_atomic(node, known)
        return self._decided[name]


@functools.lru_cache(maxsize=64)  # a range reads the same module at every commit: parse each content once
def wrappers_of_module(data: bytes) -> DefinedWrappers:
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return DefinedWrappers(ast.parse(data))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return DefinedWrappers(None)


def _configured(names: list[str], entries: tuple[str, ...]) -> bool:
    """`atomic_wrappers` entries name a wrapper by its dotted path (any trailing part of it) or its name."""
    return any(name == entry or name.endswith(f".{entry}") for name in names for entry in entries)


class AtomicWrappers:
    """Which names a module's functions enter are the project's atomic wrappers."""

    def __init__(self, context: Context, source: PySource) -> None:
        assert source.tree is not None
        self.context = context
        self.source = source
        self.imports = module_imports(source.tree.body, source.path)
        self.local = DefinedWrappers(source.tree)
        self.roots = source_roots(context.apps)

    def used_by(self, func: Function, parents: Iterable[ast.AST] | None) -> frozenset[str]:
        """The candidates of one function that are wrappers; the modules they come from are read once."""
        imports = {**self.imports, **module_imports(func.body, self.source.path)}
        found: set[str] = set()
        wanted: dict[str, list[tuple[str, str]]] = {}  # file -> (name as spelled, name in the module)
        for name in sorted(wrapper_candidates(func, parents)):
            head, dot, rest = name.partition(".")
            origin = imports.get(head)
            qualified = [name, origin.qualified + dot + rest] if origin else [name]
            defined_here = origin is None and not rest and head in self.local
            if defined_here or _configured(qualified, self.context.config.atomic_wrappers):
                found.add(name)
            elif origin is not None:
                module, _, defined = qualified[1].rpartition(".")
                for path in (
                    module_files(module, origin.rooted, self.source.path, self.roots) if module else []
                ):
                    wanted.setdefault(path, []).append((name, defined))
        if wanted:
            for path, data in self.context.path_contents(sorted(wanted)).items():
                module_wrappers = wrappers_of_module(data)
                found.update(name for name, defined in wanted[path] if defined in module_wrappers)
        return frozenset(found)

    def callers_atomic(self, facts: FunctionFacts) -> bool:
        """Is a private helper (`_name`) or a method (`cls.name(...)`, `self.name(...)` in its class) called
        in its module, and only inside atomic there (a `with` block, a function decorated so)? Its writes
        are then in its callers' transaction. A public function may be called from anywhere: not so."""
        import ast

        name = facts.func.name
        owner = next(iter(facts.parents or ()), None)
        method = isinstance(owner, ast.ClassDef)
        if name.startswith("__") or not (method or name.startswith("_")):
            return False
        assert self.source.tree is not None
        calls = _calls_of(self.source.tree.body, name, method, False, frozenset())  # module-level calls
        for func, parents in _functions(self.source.tree):
            if method and not any(_same(p, owner) for p in parents):
                continue  # `cls.save()` of another class is another method
            if any(_is_call_of(n, name, method) for n in ast.walk(func)):
                wrappers = self.used_by(func, parents) if wrapper_candidates(func, parents) else frozenset()
                classes = [p for p in parents if isinstance(p, ast.ClassDef)]
                decorators = [*func.decorator_list, *(d for c in classes[:1] for d in c.decorator_list)]
                atomic = any(mentions_atomic(d, wrappers) for d in decorators)
                calls += _calls_of(func.body, name, method, atomic, wrappers)
        return bool(calls) and all(calls)


def _same(node: ast.AST, other: ast.AST | None) -> bool:
    """The same statement of the file, whether from its whole tree or its outline (rules.incremental)."""
    return (
        other is not None
        and type(node) is type(other)
        and getattr(node, "lineno", None) == getattr(other, "lineno", -1)
        and getattr(node, "col_offset", None) == getattr(other, "col_offset", -1)
    )


def _is_call_of(node: ast.AST, name: str, method: bool) -> bool:
    import ast

    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if method:
        owner = func.value if isinstance(func, ast.Attribute) else None
        return (
            isinstance(owner, ast.Name) and owner.id in ("cls", "self") and getattr(func, "attr", "") == name
        )
    return isinstance(func, ast.Name) and func.id == name


def _calls_of(
    stmts: list[ast.stmt], name: str, method: bool, atomic: bool, wrappers: frozenset[str]
) -> list[bool]:
    """For each call of `name` in these statements (not in the functions and classes they define): is it
    inside atomic? A call in a lambda runs later (`transaction.on_commit(lambda: ...)`): not inside."""
    import ast

    found: list[bool] = []
    for stmt in stmts:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        inside = atomic
        if isinstance(stmt, ast.With | ast.AsyncWith):
            inside = atomic or any(mentions_atomic(i.context_expr, wrappers) for i in stmt.items)
        stack: list[tuple[ast.AST, bool]] = []
        blocks: list[list[ast.stmt]] = []
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt):
                continue
            if isinstance(child, ast.excepthandler | ast.match_case):
                blocks.append(getattr(child, "body", []))
            else:
                stack.append((child, atomic))
        while stack:
            node, here = stack.pop()
            if _is_call_of(node, name, method):
                found.append(here)
            stack.extend((c, here and not isinstance(node, ast.Lambda)) for c in ast.iter_child_nodes(node))
        found += _calls_of(getattr(stmt, "body", []), name, method, inside, wrappers)
        for block in [*blocks, getattr(stmt, "orelse", []), getattr(stmt, "finalbody", [])]:
            found += _calls_of(block, name, method, atomic, wrappers)
    return found


def _functions(tree: ast.Module) -> Iterator[tuple[Function, list[ast.AST]]]:
    """Every function and method of a module, with the classes and functions around it, nearest first."""
    import ast

    stack: list[tuple[ast.AST, list[ast.AST]]] = [(tree, [])]
    while stack:
        node, parents = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node, parents
        inner = (
            [node, *parents]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            else parents
        )
        stack.extend(
            (child, inner)
            for child in ast.iter_child_nodes(node)
            if isinstance(child, ast.stmt | ast.excepthandler | ast.match_case)
        )


def with_wrappers(context: Context, source: PySource, facts: list[FunctionFacts]) -> list[FunctionFacts]:
    """The facts again, for each function DJG602 would report that enters one of the project's wrappers."""
    wrappers: AtomicWrappers | None = None
    result = []
    for found in facts:
        if len(found.worst) >= 2:
            wrappers = wrappers or AtomicWrappers(context, source)
            used = wrappers.used_by(found.func, found.parents)
            if used:
                found = FunctionFacts(found.func, found.parents, found.module, used)
            if found.worst and wrappers.callers_atomic(found):
                found.worst = []
        result.append(found)
    return result
