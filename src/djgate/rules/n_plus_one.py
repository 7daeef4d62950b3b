"""DJG607: a loop over a queryset that reads a relation of each row (the workflow family; `rules/workflow.py`
loads it).

The relations are learned from the repository's models (`models.py` and `models/` of each app), read only
when a changed function loops over a queryset of a model; a loop whose model, queryset or relation is not
known is not judged (precision over recall).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from djgate.analyses import parse_tree
from djgate.findings import Finding
from djgate.rules import Context, rule
from djgate.rules.pysource import dotted
from djgate.rules.workflow_facts import MANAGERS, describe, last_name

if TYPE_CHECKING:
    import ast

    from djgate.rules.workflow_facts import Function

# Field class -> what reading it costs: "select" (one row: select_related), "prefetch" (a manager).
FIELDS = {
    "ForeignKey": "select",
    "OneToOneField": "select",
    "TreeForeignKey": "select",
    "ParentalKey": "select",
    "ManyToManyField": "prefetch",
    "ParentalManyToManyField": "prefetch",
}
# One models module: (class, base names, (field, kind) pairs, (target, accessor, kind) reverse accessors).
ModuleModels = tuple[
    tuple[str, tuple[str, ...], tuple[tuple[str, str], ...], tuple[tuple[str, str, str], ...]], ...
]
# Queryset methods that keep the rows model instances (values(), values_list() and the rest do not).
KEEPS_ROWS = frozenset({"all", "filter", "exclude", "order_by", "annotate", "alias", "distinct", "using",
                        "select_for_update", "reverse", "iterator", "only", "defer", "none"})  # fmt: skip
MANAGER_READS = frozenset({"all", "count", "exists"})  # reads of a to-many manager that a prefetch serves


class Query(NamedTuple):
    """A queryset of a model's rows and the relations it fetches with them."""

    model: str
    related: frozenset[str]  # the first part of each select_related/prefetch_related lookup
    everything: bool = False  # select_related() without arguments follows every foreign key


class Read(NamedTuple):
    line: int
    attribute: str
    kind: str  # "select" or "prefetch"


# -- the repository's models ---------------------------------------------------------------------------------


class Models:
    """Model name -> attribute -> "select"/"prefetch", forward fields and reverse accessors; a model name
    defined twice in the repository is not known."""

    def __init__(self, modules: Iterable[ModuleModels]) -> None:
        self.relations: dict[str, dict[str, str]] = {}
        self.bases: dict[str, list[str]] = {}
        seen: dict[str, int] = {}
        reverse: list[tuple[str, str, str]] = []  # (target, accessor, kind)
        for module in modules:
            for name, bases, fields, backwards in module:
                seen[name] = seen.get(name, 0) + 1
                self.bases[name] = list(bases)
                self.relations[name] = dict(fields)
                reverse += backwards
        for target, accessor, kind in reverse:
            if target in self.relations:
                self.relations[target].setdefault(accessor, kind)
        for name, count in seen.items():
            if count > 1:
                del self.relations[name]

    @classmethod
    def of_module(cls, data: bytes) -> ModuleModels:
        """The classes of one models module: name, base names, relation fields, reverse accessors."""
        import ast

        try:
            tree = parse_tree(data)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return ()
        found = []
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                reverse: list[tuple[str, str, str]] = []
                fields = cls._fields(node, reverse)
                bases = tuple(last_name(dotted(b) or "") for b in node.bases)
                found.append((node.name, bases, tuple(fields.items()), tuple(reverse)))
        return tuple(found)

    @staticmethod
    def _fields(cls: ast.ClassDef, reverse: list[tuple[str, str, str]]) -> dict[str, str]:
        import ast

        fields: dict[str, str] = {}
        for stmt in cls.body:
            if not (
                isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.value, ast.Call)
            ):
                continue
            target, call = stmt.targets[0], stmt.value
            kind = FIELDS.get(last_name(dotted(call.func) or ""))
            if kind is None or not isinstance(target, ast.Name):
                continue
            fields[target.id] = kind
            keywords = {k.arg: k.value for k in call.keywords if k.arg}
            to = call.args[0] if call.args else keywords.get("to")
            model = _model_name(to, cls.name)
            related = keywords.get("related_name")
            if model is None or (related is not None and not isinstance(related, ast.Constant)):
                continue
            one = last_name(dotted(call.func) or "") == "OneToOneField"
            name = related.value if related is not None else cls.name.lower() + ("" if one else "_set")
            if isinstance(name, str) and name.isidentifier():  # "+" hides it; "%(class)s" is per subclass
                reverse.append((model, name, "select" if one else "prefetch"))
        return fields

    def of(self, model: str) -> dict[str, str]:
        """The relations of a model, those of its base classes in the repository included."""
        found: dict[str, str] = {}
        todo, done = [model], set()
        while todo:
            name = todo.pop()
            if name in done or name not in self.relations:
                continue
            done.add(name)
            for attribute, kind in self.relations[name].items():
                found.setdefault(attribute, kind)
            todo += self.bases.get(name, [])
        return found if model in self.relations else {}


def _model_name(node: ast.expr | None, owner: str) -> str | None:
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return owner if node.value == "self" else node.value.rpartition(".")[2]
    name = dotted(node) if node is not None else None
    return last_name(name) if name else None


def repository_models(context: Context) -> Models:
    """Every app's models.py and models/ in the judged tree, read once per ChangeSet."""
    return context.kept("n_plus_one.models", lambda: _read_models(context))


def _read_models(context: Context) -> Models:
    import posixpath

    roots = [app.root for app in context.apps.apps.values()]
    sources = dict(context.path_contents([posixpath.join(r, "models.py") for r in roots]))
    tree = context.tree_contents([posixpath.join(r, "models") for r in roots])
    sources.update({p: d for p, d in tree.items() if p.endswith(".py")})
    return Models(_module_models(context, data) for data in sources.values())


def _module_models(context: Context, data: bytes) -> ModuleModels:
    return context.analysed("models", data, lambda: Models.of_module(data))


# -- one changed function ------------------------------------------------------------------------------------


def _lookups(call: ast.Call) -> frozenset[str] | None:
    """The first part of each lookup of select_related/prefetch_related (a `Prefetch("items", ...)` too);
    None when one is not a literal."""
    import ast

    found = set()
    for arg in [*call.args, *(k.value for k in call.keywords)]:
        if isinstance(arg, ast.Call) and last_name(dotted(arg.func) or "") == "Prefetch":
            arg = arg.args[0] if arg.args else next((k.value for k in arg.keywords if k.arg == "lookup"), arg)
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            return None
        found.add(arg.value.partition("__")[0])
    return frozenset(found)


def query_of(node: ast.expr, names: dict[str, Query | None]) -> Query | None:
    """The queryset an expression makes: `Order.objects.filter(...)`, a name bound to one, a slice of one."""
    import ast

    if isinstance(node, ast.Attribute) and node.attr in MANAGERS and isinstance(node.value, ast.Name):
        return Query(node.value.id, frozenset()) if node.value.id[:1].isupper() else None
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        return query_of(node.value, names)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    method, query = node.func.attr, query_of(node.func.value, names)
    if query is None:
        return None
    if method in KEEPS_ROWS:
        return query
    if method in ("select_related", "prefetch_related"):
        if method == "select_related" and not node.args and not node.keywords:
            return query._replace(everything=True)
        lookups = _lookups(node)
        return None if lookups is None else query._replace(related=query.related | lookups)
    return None


def bound_queries(func: Function) -> dict[str, Query | None]:
    """Names the function binds to a queryset, in source order; None for a name bound to anything else too
    (or to querysets of two models), since which one a loop sees is not known."""
    import ast

    bindings: list[tuple[int, int, str, ast.expr | None]] = []
    for node in _own_nodes(func):
        targets: list[ast.expr | None] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = list(node.targets), node.value
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)):
            targets, value = [node.target], node.value
        elif isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension)):
            targets = [node.target]
        elif isinstance(node, ast.withitem):
            targets = [node.optional_vars]
        for target in targets:
            for found in ast.walk(target) if target is not None else ():
                if isinstance(found, ast.Name):
                    bound = value if target is found else None  # `a, b = ...` binds no queryset
                    bindings.append((found.lineno, found.col_offset, found.id, bound))
    names: dict[str, Query | None] = {}
    for _, _, name, bound in sorted(bindings, key=lambda b: (b[0], b[1])):
        query = query_of(bound, names) if bound is not None else None
        before = names.get(name, query)
        if query is None or before is None or before.model != query.model:
            names[name] = None
        else:
            everything = query.everything or before.everything
            names[name] = Query(query.model, query.related | before.related, everything)
    for node in _own_nodes(func):  # prefetch_related_objects(orders, "items"): the name's rows have them
        if (
            isinstance(node, ast.Call)
            and last_name(dotted(node.func) or "") == "prefetch_related_objects"
            and node.args
            and isinstance(node.args[0], ast.Name)
            and (query := names.get(node.args[0].id)) is not None
        ):
            lookups = _lookups(ast.Call(func=node.func, args=node.args[1:], keywords=[]))
            names[node.args[0].id] = (
                None if lookups is None else query._replace(related=query.related | lookups)
            )
    return names


def _own_nodes(func: Function) -> Iterator[ast.AST]:
    """The nodes of a function's body, not those of the functions, classes and lambdas nested in it."""
    import ast

    stack: list[ast.AST] = list(reversed(func.body))
    while stack:
        node = stack.pop()
        yield node
        for child in reversed(list(ast.iter_child_nodes(node))):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)


def loops(func: Function) -> Iterator[tuple[ast.expr, str, list[ast.AST]]]:
    """(iterable, loop variable, the nodes that run per row) of each `for` loop and comprehension."""
    import ast

    for node in _own_nodes(func):
        if isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name):
            yield node.iter, node.target.id, list(node.body)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            parts: list[ast.AST] = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            for i, generator in enumerate(node.generators):
                if isinstance(generator.target, ast.Name):
                    later = [*generator.ifs, *(n for g in node.generators[i + 1 :] for n in (g.iter, *g.ifs))]
                    yield generator.iter, generator.target.id, [*later, *parts]


def reads(body: list[ast.AST], variable: str, relations: dict[str, str]) -> list[Read]:
    """The relations of the loop variable the body reads: `order.customer` (any read of a foreign key),
    `order.items.all()`/`.count()`/`.exists()`; none when the body binds the variable again."""
    import ast

    found: list[Read] = []
    for top in body:
        for node in ast.walk(top):
            if isinstance(node, ast.Name) and node.id == variable and isinstance(node.ctx, ast.Store):
                return []
            if not (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == variable
                and isinstance(node.ctx, ast.Load)
            ):
                continue
            kind = relations.get(node.attr)
            if kind == "select":
                found.append(Read(node.lineno, node.attr, kind))
        for node in ast.walk(top):
            func = node.func if isinstance(node, ast.Call) else None
            manager = func.value if isinstance(func, ast.Attribute) and func.attr in MANAGER_READS else None
            if (
                isinstance(manager, ast.Attribute)
                and isinstance(manager.value, ast.Name)
                and manager.value.id == variable
                and relations.get(manager.attr) == "prefetch"
            ):
                found.append(Read(manager.lineno, manager.attr, "prefetch"))
    return sorted(set(found))


# -- the rule ---------------------------------------------------------------------------------------------


@rule(
    "DJG607",
    "n-plus-one-query",
    family="workflow",
    severity="warning",
    summary="A changed loop over a queryset reads a relation of each row: likely one query per row.",
    why="""
        Reading a foreign key (`order.customer.name`) or a related manager (`order.items.all()`) of each row
        of a queryset runs one more query per row: 1 query for 500 orders becomes 501. It is invisible in
        tests with three rows and is the most common cause of slow Django pages.
    """,
    fix="""
        Fetch the relations with the rows: `.select_related("customer")` for a foreign key or one-to-one
        (one JOIN), `.prefetch_related("items")` for a reverse foreign key or many-to-many (one more query
        for all rows, a `Prefetch("items", queryset=...)` to filter or order them). The hint writes the call.
    """,
    bad="""
        def overdue_report():
            return [(o.pk, o.customer.email) for o in Order.objects.filter(status="overdue")]
    """,
    good="""
        def overdue_report():
            orders = Order.objects.filter(status="overdue").select_related("customer")
            return [(o.pk, o.customer.email) for o in orders]
    """,
)
def n_plus_one_query(context: Context) -> Iterator[Finding]:
    """In a function the change touches (not in tests or migrations), a `for` loop or a comprehension over a
    queryset (`X.objects...`, sliced or chained with methods that keep model rows, or a name the function
    binds only to querysets of one model) whose body reads a relation of the loop variable: any read of a
    foreign key or one-to-one field (`order.customer`), or `.all()`, `.count()`, `.exists()` of a reverse
    or many-to-many manager (`order.items.all()`), when the queryset's `select_related`/`prefetch_related`
    (a `Prefetch` object too), nor a `prefetch_related_objects(name, ...)` on the name, do not name it. The
    relations come from the models in the apps' `models.py`
    and `models/` (forward fields, `related_name`s and the default `x_set` accessors). Not judged: a
    queryset made elsewhere (a parameter, `self.get_queryset()`, a custom manager method), `values()`,
    `values_list()`, a lookup that is not a literal, a model defined twice in the repository, and reads of
    `order.customer_id`. Filtering a prefetched manager (`order.items.filter()`) queries anyway: not
    counted."""
    from djgate.rules.workflow import judged_functions, judged_sources

    models: Models | None = None
    for source in judged_sources(context):
        if not _may_loop_over_a_queryset(source.text or ""):
            continue
        for func, _ in judged_functions(source):
            if not _may_loop_over_a_queryset("\n".join(source.lines[func.lineno - 1 : func.end_lineno])):
                continue  # its text names no manager, or has no loop: no walk of its nodes
            found = list(loops(func))
            names = bound_queries(func) if found else {}  # a walk of the function's body: only with a loop
            for iterable, variable, body in found:
                query = query_of(iterable, names)
                if query is None:
                    continue
                models = models or repository_models(context)
                missing = [
                    r
                    for r in reads(body, variable, models.of(query.model))
                    if r.attribute not in query.related and not (r.kind == "select" and query.everything)
                ]
                if missing:
                    yield _finding(source.path, iterable, variable, query, missing)


def _may_loop_over_a_queryset(text: str) -> bool:
    """Could this text hold a loop over a queryset? A loop is written `for`; a queryset starts at a model's
    manager (`Order.objects`, `_default_manager`, `_base_manager`), in the function or bound to a name in
    it."""
    return "for" in text and any(manager in text for manager in MANAGERS)


def _finding(path: str, iterable: ast.expr, variable: str, query: Query, missing: list[Read]) -> Finding:
    import ast

    attributes = list(dict.fromkeys(r.attribute for r in missing))
    calls = ""
    for kind in ("select", "prefetch"):
        wanted = list(dict.fromkeys(r.attribute for r in missing if r.kind == kind))
        if wanted:
            calls += f".{kind}_related({', '.join(f'{chr(34)}{w}{chr(34)}' for w in wanted)})"
    reads = ", ".join(f"{variable}.{a}" for a in attributes)
    named = describe(iterable)
    where = f"where {named} is made" if isinstance(iterable, ast.Name) else f"to {named}"
    return Finding(
        "DJG607",
        f"loop over {describe(iterable)} reads {reads} for each row: one query per {query.model}",
        path=path,
        line=missing[0].line,
        hint=f"fetch them with the rows: add {calls} {where}",
    )
