"""What a migration's operations do to the database, read statically (for DJG307, no Django): the operations
an old release, still running during a deploy, cannot live with.

The field definitions an AlterField changes are learned by replaying the operations of the migrations before
it in its app (CreateModel, AddField, AlterField, RemoveField, Rename*, DeleteModel): the model state Django
would build, reduced to each field's class and keywords.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import ast

    from djgate.rules.migrations import MigrationFile

# The column type of Django's own fields; a change between two of these is a column type change. Custom
# field classes are unknown: not judged. CharField and its subclasses share varchar (max_length aside).
COLUMN_TYPES = {
    **dict.fromkeys(("AutoField", "IntegerField", "PositiveIntegerField"), "integer"),
    **dict.fromkeys(("SmallAutoField", "SmallIntegerField", "PositiveSmallIntegerField"), "smallint"),
    **dict.fromkeys(("BigAutoField", "BigIntegerField", "PositiveBigIntegerField"), "bigint"),
    **dict.fromkeys(("BooleanField", "NullBooleanField"), "boolean"),
    **dict.fromkeys(
        ("CharField", "SlugField", "EmailField", "URLField", "FileField", "ImageField", "FilePathField"),
        "varchar",
    ),
    **dict.fromkeys(("GenericIPAddressField", "IPAddressField"), "inet"),
    **dict.fromkeys(("ForeignKey", "OneToOneField"), "foreign key"),
    "TextField": "text",
    "DateField": "date",
    "DateTimeField": "timestamp",
    "TimeField": "time",
    "DurationField": "interval",
    "DecimalField": "numeric",
    "FloatField": "double precision",
    "UUIDField": "uuid",
    "JSONField": "json",
    "BinaryField": "binary",
}
WIDER = {("smallint", "integer"), ("smallint", "bigint"), ("integer", "bigint"), ("varchar", "text")}
NO_COLUMN = ("ManyToManyField", "GeneratedField")  # a join table, or a column the database computes
# SQL an old release cannot run against: a table, view or column dropped, a table or column renamed.
RELATION = r"\s+(?:MATERIALIZED\s+VIEW|TABLE|VIEW)\s+"
CREATED_SQL = rf"(?i)\bCREATE(?:\s+OR\s+REPLACE)?{RELATION}(?:IF\s+NOT\s+EXISTS\s+)?([\w.\"]+)"
DROPPED_SQL = rf"(?i)\bDROP{RELATION}(?P<maybe>IF\s+EXISTS\s+)?(?P<name>[\w.\"]+)"
RENAMED_SQL = r"(?i)\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?([\w.\"]+)[^;]*?\bRENAME\b"
DESTRUCTIVE_SQL = (
    r"(?i)\bDROP\s+(?:MATERIALIZED\s+VIEW|TABLE|VIEW|COLUMN)\b"
    r"|\bALTER\s+TABLE\b[^;]*?\bRENAME\b(?!\s+CONSTRAINT\b)"
)

Key = tuple[str, str]  # (model, field), lower-cased
Names = Mapping[str, "ast.expr"]  # the assignments of a migration module: `state_operations = [...]`
NOTHING: Names = {}


class Unsafe(NamedTuple):
    line: int
    operation: str
    message: str  # what it does and why the old release breaks
    hint: str  # the deploy-safe sequence


class Field(NamedTuple):
    cls: str  # the field class: CharField
    keywords: dict[str, object]  # keyword -> literal value (or the node when not a literal)


class History:
    """The model state before a migration: each field's definition, and the columns and tables an earlier
    migration removed from the state only (SeparateDatabaseAndState), whose drop is the safe second step."""

    def __init__(self) -> None:
        self.fields: dict[Key, Field] = {}
        self.retired: set[str] = set()
        self.tableless: set[str] = set()  # proxy and unmanaged models: Django creates no table for them
        # Models only database triggers write (django-pghistory's event models): no release reads them.
        self.trigger_written: set[str] = set()
        self.tables: set[str] = set()  # the tables of the app's models and their many-to-many fields
        # Models and fields of migrations not on the target branch yet (this branch's): no release has them.
        self.released = True
        self.unreleased: set[str | Key] = set()
        self.step = 0  # the number of migrations replayed
        self.defined: dict[Key, int] = {}  # the step that last defined each field
        self.data: list[tuple[int, bytes]] = []  # the migrations holding RunPython/RunSQL, by step

    def backfilled(self, key: Key) -> bool:
        """A later migration than the field's definition runs code or SQL that names it: the backfill of
        the deploy-safe sequence, after which making it NOT NULL is the last step."""
        word = re.compile(rb"\b" + re.escape(key[1].encode()) + rb"\b", re.IGNORECASE)
        return any(step > self.defined.get(key, 0) and word.search(source) for step, source in self.data)

    def migration(
        self, operations: Iterable[ast.expr], app: str, named: Names, source: bytes, released: bool
    ) -> None:
        """Replay one migration before the judged one; `released`: it is on the target branch."""
        self.step += 1
        self.released = released
        self.replay(operations, app, named)
        if b"RunPython" in source or b"RunSQL" in source:
            self.data.append((self.step, source))

    def copy(self) -> History:
        """A copy whose changes leave this one as it is (database_operations see the state they change)."""
        copied = History()
        copied.__dict__.update(
            (k, v.copy() if isinstance(v, dict | set) else v) for k, v in vars(self).items()
        )
        return copied

    def replay(self, operations: Iterable[ast.expr], app: str, named: Names) -> None:
        for call, name in calls(operations):
            if name == "SeparateDatabaseAndState":
                state, database = (
                    argument(call, 1, "state_operations"),
                    argument(call, 0, "database_operations"),
                )
                state_ops, database_ops = elements(state, named), elements(database, named)
                self.retired |= removed_names(state_ops, app) - removed_names(database_ops, app)
                self.replay(state_ops, app, named)
            else:
                self.apply(call, name, app)

    def create(self, call: ast.Call, model: str, app: str) -> None:
        """CreateModel: its fields, its table, and whether Django or only database triggers write it."""
        import ast

        options = _options(argument(call, 2, "options"))
        if options.get("proxy") is True or options.get("managed") is False:
            self.tableless.add(model)  # Django creates no table for a proxy or unmanaged model
        if not self.released:
            self.unreleased.add(model)
        table = options.get("db_table")
        self.tables.add(table.lower() if isinstance(table, str) else f"{app}_{model}")
        names = set()
        for pair in elements(argument(call, 1, "fields")):
            parts = elements(pair)
            if len(parts) == 2 and (field := field_of(parts[1])) and (fname := text(parts[0])):
                self.define((model, fname), field, False, app)
                names.add(fname)
        bases = " ".join(ast.unparse(b) for b in elements(argument(call, 3, "bases")))
        if {"pgh_obj", "pgh_created_at"} & names or "pghistory" in bases:
            self.trigger_written.add(model)

    def new(self, model: str, field: str = "") -> bool:
        """No release has this model (or this field of it): the branch added it, or the change does."""
        return model in self.unreleased or (model, field) in self.unreleased

    def define(self, key: Key, field: Field, added: bool, app: str = "") -> None:
        self.fields[key], self.defined[key] = field, self.step
        if added and not self.released:
            self.unreleased.add(key)
        if field.cls == "ManyToManyField":  # its join table
            self.tables.add(f"{app}_{key[0]}_{key[1]}")

    def apply(self, call: ast.Call, name: str, app: str = "") -> None:
        model = text(argument(call, 0, "model_name" if "Field" in name else "name"))
        if name == "CreateModel":
            self.create(call, model, app)
        elif name in ("AddField", "AlterField"):
            field = field_of(argument(call, 2, "field"))
            if field is not None:
                self.define((model, text(argument(call, 1, "name"))), field, name == "AddField", app)
        elif name == "AlterModelTable":
            self.tables.add(text(argument(call, 1, "table")))
        elif name == "RemoveField":
            self.fields.pop((model, text(argument(call, 1, "name"))), None)
        elif name == "RenameField":
            old, new = text(argument(call, 1, "old_name")), text(argument(call, 2, "new_name"))
            if (model, old) in self.fields:
                self.fields[(model, new)] = self.fields.pop((model, old))
            if (model, old) in self.unreleased:
                self.unreleased.add((model, new))
        elif name in ("DeleteModel", "RenameModel"):
            new = text(argument(call, 1, "new_name"))
            for key in [k for k in self.fields if k[0] == model]:
                field = self.fields.pop(key)
                if name == "RenameModel":
                    self.fields[(new, key[1])] = field
            if name == "RenameModel" and model in self.unreleased:
                self.unreleased.add(new)


def _options(options: ast.expr | None) -> dict[str, object]:
    """The literal options of CreateModel (`{"managed": False, "db_table": "..."}`), by lower-cased name."""
    import ast

    if not isinstance(options, ast.Dict):
        return {}
    return {
        text(k): v.value
        for k, v in zip(options.keys, options.values, strict=True)
        if isinstance(v, ast.Constant)
    }


def calls(operations: Iterable[ast.expr]) -> Iterator[tuple[ast.Call, str]]:
    """The operation calls of a list, with their class name (`migrations.AddField(...)` -> AddField)."""
    import ast

    for node in operations:
        if isinstance(node, ast.Call):
            func = node.func
            yield node, func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def elements(node: ast.expr | None, named: Names = NOTHING) -> list[ast.expr]:
    """The items of a literal list or tuple, or of the one a name is assigned in the migration module."""
    import ast

    if isinstance(node, ast.Name):
        node = named.get(node.id)
    return list(node.elts) if isinstance(node, ast.List | ast.Tuple) else []


def text(node: ast.expr | None) -> str:
    import ast

    return node.value.lower() if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


def field_of(node: ast.expr | None) -> Field | None:
    """`models.CharField(max_length=20, null=True)` as its class and keywords."""
    import ast

    if not isinstance(node, ast.Call):
        return None
    func = node.func
    cls = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    keywords: dict[str, object] = {}
    for keyword in node.keywords:
        if keyword.arg:
            value = keyword.value
            keywords[keyword.arg] = value.value if isinstance(value, ast.Constant) else value
    return Field(cls, keywords)


def removed_names(operations: Iterable[ast.expr], app: str) -> set[str]:
    """The column and table names RemoveField and DeleteModel operations take away (lower-cased)."""
    names: set[str] = set()
    for call, name in calls(operations):
        if name == "RemoveField":
            field = text(argument(call, 1, "name"))
            names |= {field, f"{field}_id"}
        elif name == "DeleteModel":
            model = text(argument(call, 0, "name"))
            names |= {model, f"{app.lower()}_{model}"}
    return names - {"", "_id"}


def nullable(field: Field) -> bool:
    return field.keywords.get("null") is True


def has_default(field: Field) -> bool:
    """A default, or the empty string Django fills a blank text column with (its `effective_default`)."""
    blank_text = field.keywords.get("blank") is True and COLUMN_TYPES.get(field.cls) in ("varchar", "text")
    return "default" in field.keywords or "db_default" in field.keywords or blank_text


def unsafe_operations(migration: MigrationFile, history: History) -> Iterator[Unsafe]:
    """The operations of a migration an old release cannot run against, database operations only:
    `state_operations` of SeparateDatabaseAndState touch no database. A model or field that no release has
    (created by this migration, or by one of the branch's not on the target yet) is not judged."""
    history.released = False
    yield from _judge(migration.operations, migration.app, history, migration.named)


def _judge(operations: Iterable[ast.expr], app: str, history: History, named: Names) -> Iterator[Unsafe]:
    for call, name in calls(operations):
        if name == "SeparateDatabaseAndState":
            database = elements(argument(call, 0, "database_operations"), named)
            yield from _judge(database, app, history.copy(), named)
            history.replay([call], app, named)  # what the state becomes is what state_operations say
            continue
        model = text(argument(call, 0, "model_name" if "Field" in name else "name"))
        field = (
            text(argument(call, 1, "old_name" if name == "RenameField" else "name"))
            if "Field" in name
            else ""
        )
        if name == "RunSQL":
            yield from _destructive_sql(call, history, named)
        elif model in history.tableless or model in history.trigger_written or history.new(model, field):
            pass  # a proxy or unmanaged model, a trigger-written history table, or one no release has
        elif name in ("AddField", "AlterField"):
            yield from _column_change(call, name, history)
        elif name in REMOVALS:
            found = _removal(call, name, app, history)
            if found is not None:
                yield found
        history.apply(call, name, app)


SEQUENCE_REMOVE = (
    "stop using it in code first (one release), remove it from the state only with "
    "SeparateDatabaseAndState(state_operations=[...]), and drop it in a later release"
)
SEQUENCE_RENAME = (
    "add the new one next to the old, write both and backfill, move the code over, and drop the old one a "
    "release later (or rename in the state only, with SeparateDatabaseAndState)"
)
SEQUENCE_NOT_NULL = (
    "add it with null=True (or a db_default), backfill the rows, then make it NOT NULL in a later release"
)
REMOVALS = {
    "RemoveField": ("drops the column of {}", SEQUENCE_REMOVE),
    "DeleteModel": ("drops the table of {}", SEQUENCE_REMOVE),
    "RenameField": ("renames the column of {}", SEQUENCE_RENAME),
    "RenameModel": ("renames the table of {}", SEQUENCE_RENAME),
    "AlterModelTable": ("renames the table of {}", SEQUENCE_RENAME),
}


def _removal(call: ast.Call, name: str, app: str, history: History) -> Unsafe | None:
    model = text(argument(call, 0, "model_name" if "Field" in name else "name"))
    field = (
        text(argument(call, 1, "name" if name == "RemoveField" else "old_name")) if "Field" in name else ""
    )
    if name in ("RemoveField", "DeleteModel") and (removed_names([call], app) & history.retired):
        return None  # the state let go of it a release ago: this is the deploy-safe second step
    what, hint = REMOVALS[name]
    subject = f"{model}.{field}" if field else model
    return Unsafe(
        call.lineno,
        name,
        f"{name} {what.format(subject)}: the release still running during the deploy queries "
        f"{'it by its old name' if 'renames' in what else 'it'} and fails until the new code is out",
        hint,
    )


def _column_change(call: ast.Call, name: str, history: History) -> Iterator[Unsafe]:
    model, column = text(argument(call, 0, "model_name")), text(argument(call, 1, "name"))
    field = field_of(argument(call, 2, "field"))
    if field is None or field.cls in NO_COLUMN:
        return
    before = history.fields.get((model, column)) if name == "AlterField" else None
    if name == "AlterField" and before is None:
        return  # the field's definition is not known (a squash, a custom operation): not judged
    subject = f"{model}.{column}"
    if (
        not nullable(field)
        and not has_default(field)
        and (before is None or (nullable(before) and not history.backfilled((model, column))))
    ):
        writes = "inserts rows without it" if name == "AddField" else "may still write NULL into it"
        yield Unsafe(
            call.lineno,
            name,
            f"{name} makes {subject} NOT NULL without a default on an existing table: the release still "
            f"running during the deploy {writes}, and those writes fail",
            SEQUENCE_NOT_NULL,
        )
    elif before is not None and _type_change(before, field):
        yield Unsafe(
            call.lineno,
            name,
            f"{name} changes the column type of {subject} ({before.cls} to {field.cls}): the release "
            "still running during the deploy reads and writes the old type",
            SEQUENCE_RENAME.replace("new one", "new field").replace("old one", "old field"),
        )


def _type_change(before: Field, after: Field) -> bool:
    """Both are Django fields with columns of different types, and the new one is not a wider one of the
    same kind (integer to bigint, varchar to text), which the old release reads and writes as before."""
    old, new = COLUMN_TYPES.get(before.cls), COLUMN_TYPES.get(after.cls)
    return old is not None and new is not None and old != new and (old, new) not in WIDER


def _destructive_sql(call: ast.Call, history: History, named: Names) -> Iterator[Unsafe]:
    """RunSQL whose forward SQL (string literals, or names the module assigns them to) drops or renames a
    table, view or column; not a table or view the same SQL creates again (a view redefined)."""
    statements = [
        part for string in _sql_strings(argument(call, 0, "sql"), named) for part in string.split(";")
    ]
    created = {_bare(name) for statement in statements for name in re.findall(CREATED_SQL, statement)}
    for statement in statements:
        match = re.search(DESTRUCTIVE_SQL, statement)
        if match is None or set(re.findall(r"\w+", statement.lower())) & history.retired:
            continue
        dropped = re.search(DROPPED_SQL, statement)
        if dropped and _bare(dropped["name"]) in created:
            continue
        leftover = dropped and dropped["maybe"] and _bare(dropped["name"]) not in history.tables
        if leftover and re.search(r"(?i)\bDROP\s+TABLE\b", statement):
            continue  # `DROP TABLE IF EXISTS` of no model's table: what a package removed earlier left
        renamed = re.search(RENAMED_SQL, statement)
        if renamed and _bare(renamed[1]).endswith("_seq"):
            continue  # a sequence: the column's default names it by its id, not by its name
        said = " ".join(match[0].split()).upper() if match[0][:1] in "dD" else "ALTER TABLE ... RENAME"
        yield Unsafe(
            call.lineno,
            "RunSQL",
            f"RunSQL runs {said}: the release still running during the deploy "
            "queries what it drops or renames, and fails until the new code is out",
            SEQUENCE_REMOVE,
        )
        return


def _sql_strings(sql: ast.expr | None, named: Names) -> list[str]:
    import ast

    found: list[str] = []
    for node in ast.walk(sql) if sql is not None else ():
        value = named.get(node.id) if isinstance(node, ast.Name) else node
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.append(value.value)
    return found


def _bare(name: str) -> str:
    """`public."Orders_View"` -> orders_view: the name a DROP and a CREATE of one relation share."""
    return name.replace('"', "").rsplit(".", 1)[-1].lower()
