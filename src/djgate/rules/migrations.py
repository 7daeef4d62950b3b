"""DJG3xx: migrations. DJG301 asks Django (through the probe the door runs, `context.django`); DJG302-307
read the migration files statically, with `ast`, so they never need Django (DJG307's reading of the
operations lives in migration_ops.py).

A migration is a module of an app's `migrations` package that Django's loader would load (not
`__init__.py`, not `_x.py` or `~x.py`); its node in the graph is (app label, file name).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from djgate.analyses import parse_tree
from djgate.findings import Finding
from djgate.rules import Context, rule

if TYPE_CHECKING:
    import ast

    from djgate.django.verdict import PendingMigration
    from djgate.rules.migration_ops import History, Unsafe

AUTO_NAME = re.compile(r"\d{4}_auto_\d{8}_\d{4}")  # makemigrations' fallback: 0002_auto_20260101_1200
SPECIAL_TARGETS = ("__first__", "__latest__")
ADDED = ("A", "C", "R")  # a file new at its path; a rename is also judged by DJG304 from its old path
Node = tuple[str, str]  # (app label, migration name)


class Dependency(NamedTuple):
    app: str
    name: str
    line: int


class MigrationFile:
    """What the graph needs from a migration file, read statically. (Plain classes here: every door
    imports the rule modules, and a dataclass costs a compile at import.)"""

    def __init__(self, path: str, app: str, name: str, error: str | None = None, line: int | None = None):
        self.path, self.app, self.name = path, app, name
        self.error = error  # why it does not parse, or has no Migration class
        self.error_line = line
        self.dependencies: tuple[Dependency, ...] | None = ()  # None: not a literal list, so unknown
        self.replaces: tuple[Node, ...] = ()
        self.run_before: tuple[Node, ...] = ()
        self.operations: list[ast.expr] = []
        self.source = b""  # the text, for what the operations do not say (the fields a backfill names)
        self.named: dict[
            str, ast.expr
        ] = {}  # other assignments of the module and the class (state_operations)


def migration_node(path: str, context: Context) -> Node | None:
    """(app label, name) when the path is a migration of a known app, else None."""
    directory, filename = posixpath.split(path)
    if posixpath.basename(directory) != "migrations" or not filename.endswith(".py"):
        return None
    if filename.startswith(("_", "~")):
        return None
    app = context.apps.apps.get(posixpath.dirname(directory))
    return (app.label, filename[:-3]) if app else None


def parse_migration(path: str, app: str, source: bytes) -> MigrationFile:
    import ast

    name = posixpath.basename(path)[:-3]
    try:
        tree = parse_tree(source)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        return MigrationFile(path, app, name, f"does not parse: {getattr(exc, 'msg', exc)}", line)
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Migration"), None)
    if cls is None:
        return MigrationFile(path, app, name, "defines no Migration class", 1)
    found = MigrationFile(path, app, name)
    found.source = source
    for stmt in [*tree.body, *cls.body]:
        target, value = _assignment(stmt)
        if target and value is not None:
            found.named[target] = value
        if target == "dependencies":
            found.dependencies = _dependencies(value)
        elif target in ("replaces", "run_before"):
            nodes = tuple((d.app, d.name) for d in _dependencies(value) or ())
            setattr(found, target, nodes)
        elif target == "operations" and isinstance(value, ast.List | ast.Tuple):
            found.operations = list(value.elts)
    return found


def parsed_migration(context: Context, path: str, app: str, source: bytes) -> MigrationFile:
    """parse_migration, once per run for a content (a MigrationFile is never changed once made)."""
    return context.analysed(f"migration:{app}:{path}", source, lambda: parse_migration(path, app, source))


def _assignment(stmt: ast.stmt) -> tuple[str | None, ast.expr | None]:
    import ast

    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id, stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id, stmt.value
    return None, None


def _dependencies(value: ast.expr | None) -> tuple[Dependency, ...] | None:
    """The ("app", "name") pairs of a literal list; other entries (swappable_dependency(...)) name a
    migration outside the repository's reach and are left to Django."""
    import ast

    if not isinstance(value, ast.List | ast.Tuple):
        return None
    pairs = []
    for item in value.elts:
        if (
            isinstance(item, ast.Tuple)
            and len(item.elts) == 2
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in item.elts)
        ):
            app, name = (e.value for e in item.elts)  # type: ignore[attr-defined]
            pairs.append(Dependency(app, name, item.lineno))
    return tuple(pairs)


class MigrationFacts:
    """The migrations a change adds, and the migration graph of the apps it touches or depends on."""

    def __init__(self, context: Context) -> None:
        self.context = context
        changes = context.changeset.files
        self.added: list[MigrationFile] = []
        moved_or_changed = {
            f.old_path or f.path: f
            for f in changes
            if f.status not in ("A", "C") and migration_node(f.old_path or f.path, context)
        }
        # Committed: on the branch the change merges into. A migration this branch added is not yet.
        self.committed = context.on_target(moved_or_changed) if moved_or_changed else set()
        added = {
            f.path: node
            for f in changes
            if (f.status in ADDED or (f.status in ("M", "T") and f.path not in self.committed))
            and (node := migration_node(f.path, context))
        }
        sources = context.contents(added)
        for path, (app, _) in added.items():
            self.added.append(parsed_migration(context, path, app, sources.get(path, b"")))
        self.touched = {node[0] for f in changes for p in f.paths if (node := migration_node(p, context))}
        repository_apps = {app.label for app in context.apps.apps.values()}
        wanted = (self.touched | {d.app for m in self.added for d in m.dependencies or ()}) & repository_apps
        roots = [root for root, app in context.apps.apps.items() if app.label in wanted]
        tree = context.tree_contents([f"{root}/migrations" for root in roots])
        self.graph: dict[str, dict[str, MigrationFile]] = {label: {} for label in wanted}
        self._sources = {p: s for p, s in tree.items() if migration_node(p, context)}
        self.names: dict[str, set[str]] = {label: set() for label in wanted}
        for path in self._sources:
            app, name = migration_node(path, context) or ("", "")
            self.names.setdefault(app, set()).add(name)

    def app_graph(self, app: str) -> dict[str, MigrationFile]:
        """Every migration of an app in the judged tree, parsed (once)."""
        graph = self.graph.setdefault(app, {})
        if not graph:
            for path, source in self._sources.items():
                node = migration_node(path, self.context)
                if node and node[0] == app:
                    graph[node[1]] = parsed_migration(self.context, path, app, source)
        return graph

    def replaced(self, app: str) -> dict[str, str]:
        """Migration name -> the squashed migration of the same app that replaces it."""
        return {n: m.name for m in self.app_graph(app).values() for a, n in m.replaces if a == app}

    def leaves(self, app: str) -> list[str] | None:
        """The app's leaf nodes as Django's loader sees them without a database (replaced migrations
        swapped for their squash); None when a dependency list is not a literal."""
        graph, replaced = self.app_graph(app), self.replaced(app)
        nodes = {name for name in graph if name not in replaced}
        parents: set[str] = set()
        for name in nodes:
            migration = graph[name]
            if migration.dependencies is None:
                return None
            parents |= {replaced.get(d.name, d.name) for d in migration.dependencies if d.app == app}
            if any(a == app for a, _ in migration.run_before):
                parents.add(name)
        return sorted(nodes - parents)

    def exists(self, app: str, name: str) -> bool:
        return name in self.names.get(app, set()) or name in self.replaced(app)

    def broken_dependencies(self) -> Iterator[tuple[MigrationFile, Dependency]]:
        """Dependencies of added migrations on a migration of a repository app that is not there."""
        for migration in self.added:
            for dep in migration.dependencies or ():
                if (
                    dep.app in self.names
                    and dep.name not in SPECIAL_TARGETS
                    and not self.exists(dep.app, dep.name)
                ):
                    yield migration, dep


def facts(context: Context) -> MigrationFacts:
    """The MigrationFacts of this context, built once for all the rules of the family."""
    return context.kept("migrations", lambda: MigrationFacts(context))


def _no_migrations_touched(context: Context) -> bool:
    return not any(migration_node(p, context) for p in context.changeset.paths())


# -- the rules ----------------------------------------------------------------------------------------


@rule(
    "DJG301",
    "missing-migration",
    summary="Models changed without a migration (what `makemigrations --check` would refuse).",
    why="""
        A model change without its migration breaks every other checkout and the deployment: the code
        expects columns the database does not have. CI finds it late; the commit is the place.
    """,
    fix="""
        Run the makemigrations command djgate prints (for the app it names), review the migration, stage
        it with the model change and commit again. djgate boots Django with the project's interpreter and
        settings (never a database); set `python` and `settings` in [tool.djgate] if it cannot find them,
        or `ignore = ["DJG301"]` where Django cannot boot.
    """,
    bad="git add orders/models.py && git commit   # a field added to Order, no migration",
    good="python manage.py makemigrations orders && git add orders/ && git commit",
)
def missing_migration(context: Context) -> Iterator[Finding]:
    """Django's own autodetector (the verdict of `makemigrations --check --dry-run`) finds no change to
    the models of the staged content that lacks a migration. Django is booted only when a staged file
    can change the model state (models, migrations, apps.py, settings and what they import), and the
    verdict is cached by the content of those files."""
    verdict = context.django()
    if verdict is None:
        return
    if verdict.graph_error:
        if not any(facts(context).broken_dependencies()):  # DJG306 already says what is wrong
            yield Finding(
                "DJG301",
                f"cannot tell whether a migration is missing: Django cannot load the migrations "
                f"({verdict.graph_error})",
                hint="fix the migration graph first; the error names the migration",
            )
        return
    for app, pending in verdict.pending_by_app().items():
        where = ", ".join(m.path or m.name for m in pending)
        lines = [op for m in pending for op in m.operations]
        lines += [
            f"DJG307 once written: {found.message}; {found.hint}"
            for found in _unsafe_pending(context, pending)
        ]
        yield Finding(
            "DJG301",
            f"models of '{app}' changed without a migration: makemigrations would write {where}",
            hint="\n".join([*lines, f"run: {verdict.command} {app}"]),
        )


def _unsafe_pending(context: Context, pending: list[PendingMigration]) -> Iterator[Unsafe]:
    """What DJG307 will say of the migrations makemigrations would write: the same reading of the same
    operations, so the two rules agree before the file exists."""
    from djgate.rules.migration_ops import unsafe_operations

    known = None
    for migration in pending:
        if migration.source is None:
            continue
        known = known or facts(context)
        path = migration.path or f"{migration.app}/migrations/{migration.name}.py"
        parsed = parse_migration(path, migration.app, migration.source.encode("utf-8"))
        yield from unsafe_operations(parsed, _history_before(known, parsed))


@rule(
    "DJG302",
    "conflicting-migrations",
    summary="An app's migration graph has more than one leaf (two migrations with the same parent).",
    why="""
        Two branches that each add a migration to an app leave it with two leaves: `migrate` refuses to
        run until they are merged, and whoever deploys first finds out.
    """,
    fix="""
        Merge them with `python manage.py makemigrations --merge <app>`, or, when yours is not shared
        yet, renumber it and make it depend on the other leaf.
    """,
    bad="orders/migrations/0003_refund.py and orders/migrations/0003_discount.py both depend on 0002",
    good="0004_merge_0003_refund_0003_discount.py depends on both",
)
def conflicting_migrations(context: Context) -> Iterator[Finding]:
    """After the change, every app whose migrations it adds, changes or removes has one leaf node in its
    migration graph (decided from the files' `dependencies`, `run_before` and `replaces`, statically)."""
    if _no_migrations_touched(context):
        return
    known = facts(context)
    for app in sorted(known.touched):
        leaves = known.leaves(app)
        if leaves is None or len(leaves) < 2:
            continue
        graph = known.app_graph(app)
        yield Finding(
            "DJG302",
            f"app '{app}' has {len(leaves)} leaf migrations: {', '.join(leaves)}",
            path=graph[leaves[-1]].path,
            hint=f"merge them: python manage.py makemigrations --merge {app}",
        )


@rule(
    "DJG303",
    "irreversible-migration",
    summary="An added migration cannot be unapplied (RunPython/RunSQL without a reverse).",
    why="""
        An irreversible migration turns a rollback into an outage: `migrate app <previous>` stops with
        IrreversibleError when the deploy must be undone.
    """,
    fix="""
        Give RunPython a `reverse_code` and RunSQL a `reverse_sql`. When there is truly nothing to undo,
        say so with `migrations.RunPython.noop` or `migrations.RunSQL.noop`.
    """,
    bad="migrations.RunPython(fill_totals)",
    good="migrations.RunPython(fill_totals, reverse_code=migrations.RunPython.noop)",
)
def irreversible_migration(context: Context) -> Iterator[Finding]:
    """Every operation of an added migration can be reversed: RunPython has `reverse_code`, RunSQL has
    `reverse_sql` (also inside SeparateDatabaseAndState's `database_operations`). When Django is booted
    anyway, any other operation whose `reversible` is False is reported too."""
    if _no_migrations_touched(context):
        return
    added = facts(context).added
    written = written_lines(context, added)
    flagged: set[tuple[str, int]] = set()
    for migration in added:
        for line, end, what, reverse in _irreversible_calls(migration.operations):
            if not written.get(migration.path, set()) & set(range(line, end + 1)):
                continue  # a migration of this branch edited elsewhere: the operation was judged when added
            flagged.add((migration.path, line))
            yield Finding(
                "DJG303",
                f"{what} without {reverse}: migration {migration.name} cannot be unapplied",
                path=migration.path,
                line=line,
                hint=f"pass {reverse}=..., or {reverse}=migrations.{what}.noop when there is nothing to undo",
            )
    verdict = context.django() if added else None
    by_node = {(m.app, m.name): m for m in added}
    for op in verdict.irreversible if verdict else ():
        found = by_node.get((op.app, op.migration))
        if found is None:
            continue
        node = found.operations[op.position] if op.position < len(found.operations) else None
        at = node.lineno if node else None
        if (found.path, at) in flagged:
            continue
        if node and not written.get(found.path, set()) & set(range(node.lineno, (node.end_lineno or 0) + 1)):
            continue
        yield Finding(
            "DJG303",
            f"{op.operation} is not reversible: migration {found.name} cannot be unapplied",
            path=found.path,
            line=at,
            hint="make the operation reversible, or move it to a migration of its own",
        )


def written_lines(context: Context, migrations: Iterable[MigrationFile]) -> dict[str, set[int]]:
    """The lines the change writes in these migrations, by path: the operations of an added migration,
    and those an edit of a migration this branch added writes (the rest was judged when it was added)."""
    paths = {m.path for m in migrations}
    return {
        f.path: {a.number for a in (*f.added, *f.moved)} for f in context.changeset.files if f.path in paths
    }


def _irreversible_calls(operations: Iterable[ast.expr]) -> Iterator[tuple[int, int, str, str]]:
    """(first line, last line, operation, missing argument) for RunPython/RunSQL calls without a reverse."""
    import ast

    for node in operations:
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name == "SeparateDatabaseAndState":
            inner = _argument(node, 0, "database_operations")
            if isinstance(inner, ast.List | ast.Tuple):
                yield from _irreversible_calls(inner.elts)
            continue
        reverse = {"RunPython": "reverse_code", "RunSQL": "reverse_sql"}.get(name)
        if reverse is None:
            continue
        value = _argument(node, 1, reverse)
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            yield node.lineno, node.end_lineno or node.lineno, name, reverse


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


@rule(
    "DJG304",
    "committed-migration-changed",
    summary="A migration already on the target branch is modified, deleted or renamed.",
    why="""
        A committed migration may already be applied on a colleague's machine, in staging or in
        production; Django records it by name and never runs it again. Edits are silently skipped there,
        renames make it run twice, deletions break the graph.
    """,
    fix="""
        Leave committed migrations as they are (unstage the change with `git restore --staged <path>`)
        and make a new migration for the new change. A migration is committed once it is on the branch
        your change merges into (`target_branch`, else the branch's upstream, else HEAD): one your branch
        added may still be edited. Deleting the migrations a squashed migration `replaces` is allowed in
        the commit that adds the squashed migration; imports, comments and formatting may change.
    """,
    bad="git add orders/migrations/0002_order_note.py   # edited after it was committed",
    good="python manage.py makemigrations orders   # a new 0003 that makes the change",
)
def committed_migration_changed(context: Context) -> Iterator[Finding]:
    """No migration that is committed on the branch the change merges into (`target_branch`, else the
    current branch's upstream, else HEAD; in `check-range`, the range's base) is modified, deleted or
    renamed. Allowed: editing a migration this branch added; deleting the migrations listed in `replaces`
    of a squashed migration added by the same change; edits that leave what the migration does as it was
    (its syntax tree apart from imports and docstrings: formatting, comments, an import moved)."""
    changeset = context.changeset
    if not changeset.parents or _no_migrations_touched(context):
        return
    known = facts(context)
    squashed = {node for m in known.added for node in m.replaces}
    modified = [f for f in changeset.files if f.status in ("M", "T") and f.path in known.committed]
    old = context.old_contents(f.path for f in modified)
    new = context.contents(f.path for f in modified)
    for change in changeset.files:
        path = change.old_path or change.path
        old_node = migration_node(path, context)
        if old_node is None or change.status in ("A", "C") or path not in known.committed:
            continue
        if change.status in ("D", "R") and old_node in squashed:
            continue  # git may pair a replaced migration with the squash as a rename
        if change.status == "D":
            what = "deleted"
        elif change.status == "R":
            what = f"renamed to {change.path}"
        elif _same_operations(context, old.get(path), new.get(path)):
            continue
        else:
            what = "modified"
        yield Finding(
            "DJG304",
            f"migration {old_node[1]} of '{old_node[0]}' is committed and {what}",
            path=path,
            line=change.added[0].number if what == "modified" and change.added else None,
            hint=f"leave it as committed (git restore --staged -- {path}) and make a new migration "
            f"for the change: python manage.py makemigrations {old_node[0]}",
        )


def _same_operations(context: Context, old: bytes | None, new: bytes | None) -> bool:
    """Both versions do the same: equal syntax trees once imports, docstrings, type hints and the order of
    the dependencies are set aside (what upkeep after a library rename or a formatter changes), so operations,
    dependencies and replaces, and the functions RunPython calls, are as they were. Each version's reading is
    made once per run (a migration edited in several commits of a range)."""
    if old is None or new is None:
        return False
    before = context.analysed("behaviour", old, lambda: _behaviour_of(old))
    return before is not None and before == context.analysed("behaviour", new, lambda: _behaviour_of(new))


def _behaviour_of(source: bytes) -> str | None:
    """`_behaviour` of the source (which rewrites the tree it is given: a tree of its own); None when the
    source does not parse."""
    try:
        return _behaviour(parse_tree(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _behaviour(tree: ast.Module) -> str:
    import ast

    body = [
        stmt
        for stmt in tree.body
        if not isinstance(stmt, ast.Import | ast.ImportFrom)
        and not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
    ]
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):  # type hints do not run
        if isinstance(node, ast.arg | ast.AnnAssign):
            node.annotation = ast.Constant(None)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node.returns = None
    for cls in body:
        for stmt in cls.body if isinstance(cls, ast.ClassDef) and cls.name == "Migration" else ():
            target, value = _assignment(stmt)
            if target in ("dependencies", "run_before") and isinstance(value, ast.List | ast.Tuple):
                value.elts.sort(key=ast.dump)  # an order Django does not read
    imported = {
        (alias.asname or alias.name).split(".")[0]
        for stmt in tree.body
        if isinstance(stmt, ast.Import | ast.ImportFrom)
        for alias in stmt.names
    }
    return ast.dump(_without_module_paths(ast.Module(body=body, type_ignores=[]), imported))


def _without_module_paths(module: ast.Module, imported: set[str]) -> ast.AST:
    """`saleor.core.utils.editorjs.clean_editor_js` read as `clean_editor_js` when its root is an imported
    name: a module moved (a library renamed, a package split) is upkeep; what it names is the same."""
    import ast

    class Paths(ast.NodeTransformer):
        def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
            root: ast.expr = node
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in imported:
                return ast.Name(id=node.attr, ctx=node.ctx)
            return self.generic_visit(node)

    return Paths().visit(module)  # type: ignore[no-any-return]


@rule(
    "DJG305",
    "auto-named-migration",
    severity="warning",
    summary="An added migration has an auto-generated name (0002_auto_20260101_1200).",
    why="""
        `0002_auto_20260101_1200` says when, not what: a reader of the migrations directory, a reviewer
        and whoever resolves a conflict must open the file to know what it does.
    """,
    fix="""
        Name it for what it does: rename the file (nothing depends on it yet; fix the migrations you
        added after it), or regenerate it with `python manage.py makemigrations <app> --name <what>`.
    """,
    bad="orders/migrations/0002_auto_20260101_1200.py",
    good="orders/migrations/0002_order_note_and_status.py",
)
def auto_named_migration(context: Context) -> Iterator[Finding]:
    """An added migration's name says what it does, not makemigrations' fallback `NNNN_auto_<timestamp>`."""
    for change in context.changeset.files:
        node = migration_node(change.path, context) if change.status in ADDED else None
        if node and AUTO_NAME.fullmatch(node[1]):
            directory = posixpath.dirname(change.path)
            yield Finding(
                "DJG305",
                f"migration {node[1]} has an auto-generated name",
                path=change.path,
                hint=f"git mv {change.path} {directory}/{node[1][:4]}_<what_it_does>.py, or regenerate it: "
                f"python manage.py makemigrations {node[0]} --name <what_it_does>",
            )


@rule(
    "DJG306",
    "broken-migration",
    summary="An added migration does not parse, or depends on a migration that does not exist.",
    why="""
        Django loads every migration of every app at each `migrate`, `makemigrations` and test run: one
        broken file stops them all, for everyone, from the moment it is pulled.
    """,
    fix="""
        Fix the syntax error, or point the dependency at a migration that exists (usually the app's
        latest: `ls <app>/migrations/`).
    """,
    bad="""dependencies = [("orders", "0003_refund")]   # orders has 0001 and 0002 only""",
    good="""dependencies = [("orders", "0002_order_note")]""",
)
def broken_migration(context: Context) -> Iterator[Finding]:
    """Every added migration parses, defines a Migration class, and each of its dependencies on an app
    of the repository names a migration of that app that exists after the change (or that a squashed
    migration replaces). Dependencies on apps outside the repository are left to DJG301's Django run."""
    if _no_migrations_touched(context):
        return
    known = facts(context)
    for migration in known.added:
        if migration.error:
            yield Finding(
                "DJG306",
                f"migration {migration.name} {migration.error}",
                path=migration.path,
                line=migration.error_line,
                hint="Django loads every migration: one that does not load stops migrate for everyone",
            )
    for migration, dep in known.broken_dependencies():
        leaves = [name for name in known.leaves(dep.app) or () if name != migration.name]
        yield Finding(
            "DJG306",
            f"migration {migration.name} depends on {dep.app}.{dep.name}, which does not exist",
            path=migration.path,
            line=dep.line,
            hint=f"the latest migration of '{dep.app}' is {', '.join(leaves)}" if leaves else None,
        )


@rule(
    "DJG307",
    "deploy-unsafe-migration",
    severity="warning",
    summary="An added migration breaks the release still running during the deploy (drop, rename, NOT NULL).",
    why="""
        A deploy migrates the database before the old release stops: for a while the old code runs against
        the new schema. A dropped or renamed column or table makes its queries fail; a new NOT NULL column
        without a default makes its inserts fail; a changed column type makes it read and write the wrong
        type. Rolling back the code does not help either: the schema has moved on. (django-migration-linter
        finds these by rendering the SQL against a database; djgate reads the operations, no database.)
    """,
    fix="""
        Split the change over releases, so that each schema works with the code before and after it:
        add a column nullable (or with a `db_default`), backfill it, make it NOT NULL a release later; stop
        using a field or model in code one release before removing it, taking it out of the state only
        with `SeparateDatabaseAndState(state_operations=[...])` and dropping it with a later migration; for
        a rename or a type change, add the new column next to the old, write both, backfill, move the code,
        drop the old one. When the deploy stops the old release anyway (a maintenance window), say so on
        the operation's first line: `migrations.RemoveField(  # djgate: ignore[DJG307] deployed with
        downtime`.
    """,
    bad="migrations.AddField('order', 'channel', models.ForeignKey('channel.Channel', on_delete=CASCADE))",
    good="""
        migrations.AddField('order', 'channel', models.ForeignKey(..., null=True))   # this release
        migrations.AlterField('order', 'channel', models.ForeignKey(...))   # the next, after a backfill
    """,
)
def deploy_unsafe_migration(context: Context) -> Iterator[Finding]:
    """No operation of an added migration (or that an edit of a migration the branch added writes) breaks the
    release still running while it is deployed: RemoveField, DeleteModel, RenameField, RenameModel,
    AlterModelTable; an AddField or AlterField that makes a column NOT NULL on an existing table without
    `default`/`db_default` (`null=True`, a blank text column Django fills with "" and a ManyToManyField are
    fine; nor is the NOT NULL that follows an earlier migration's backfill, RunPython or RunSQL naming the
    field); an AlterField that changes the column type (the field class changes between Django fields of
    different column types; a changed max_length, a wider column of the same kind such as integer to bigint,
    and a custom field class are not reported); RunSQL whose SQL literals DROP a TABLE, VIEW or COLUMN or
    ALTER TABLE ... RENAME (not an index, a constraint or a function, nor a view the same SQL creates again,
    nor `DROP TABLE IF EXISTS` of a table no model of the app has, nor a `*_seq` sequence renamed).
    Operations in SeparateDatabaseAndState's `state_operations` touch no database and are not judged, its
    `database_operations` are; dropping what an earlier migration already removed from the state only is the
    deploy-safe second step. Proxy and unmanaged models have no table of Django's, django-pghistory's event
    models are written only by the triggers the migration re-creates, and no release has a model
    or field that the change or a migration of the branch not yet on the target branch creates: neither is
    judged. It judges the operations the migration files hold, which for a generated migration are those
    DJG301 asks makemigrations to write."""
    from djgate.rules.migration_ops import unsafe_operations

    if _no_migrations_touched(context):
        return
    known = facts(context)
    written = written_lines(context, known.added)
    for migration in known.added:
        history = _history_before(known, migration)
        for found in unsafe_operations(migration, history):
            if found.line not in written.get(migration.path, set()):
                continue  # an operation of a migration this branch added, judged when it was written
            yield Finding(
                "DJG307",
                f"migration {migration.name}: {found.message}",
                path=migration.path,
                line=found.line,
                hint=found.hint,
            )


def _history_before(known: MigrationFacts, migration: MigrationFile) -> History:
    """The model state of the migration's app before it: its ancestors' operations replayed in order."""
    from djgate.rules.migration_ops import History

    graph, replaced = known.app_graph(migration.app), known.replaced(migration.app)
    order: list[MigrationFile] = []
    seen: set[str] = {migration.name}

    # Depth first, parents before children; with a stack, not a recursive closure (a chain of a thousand
    # migrations is deeper than Python's recursion limit, and a closure that calls itself is a cycle).
    stack = [(migration, iter(migration.dependencies or ()))]
    while stack:
        node, dependencies = stack[-1]
        for dep in dependencies:
            name = dep.name if dep.name in graph else replaced.get(dep.name, dep.name)
            if dep.app == migration.app and name not in seen and name in graph:
                seen.add(name)
                stack.append((graph[name], iter(graph[name].dependencies or ())))
                break
        else:
            stack.pop()
            if stack:
                order.append(node)
    history = History()
    released = known.context.on_target(m.path for m in order) if order else set()
    for ancestor in order:
        landed = ancestor.path in released
        history.migration(ancestor.operations, migration.app, ancestor.named, ancestor.source, landed)
    return history
