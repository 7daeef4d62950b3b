"""DJG6xx: the workflow's standards on the code a change touches: I/O with timeouts (DJG601), several
database writes in one transaction (DJG602), no ORM writes in views (DJG603), no check-then-act races
(DJG604), uniqueness as a constraint (DJG605), a typed service layer (DJG606, in `rules/typed_services.py`),
no N+1 queries (DJG607, in `rules/n_plus_one.py`).

Static and deliberately narrow: a call counts only when its shape says what it is (`requests.get` with
requests imported, `.create()` on a manager or queryset, `.save()` without positional arguments), so a
finding is worth reading. DJG601-604 judge a function when the change adds a line of its own (not only
lines of a function nested in it); each judged function is read once, into `FunctionFacts` that the four
rules share (`rules/workflow_facts.py`; the project's own atomic wrappers in `rules/atomic_wrappers.py`).
"""

from __future__ import annotations

import bisect
import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING

from djgate.findings import Finding
from djgate.rules import Context, rule
from djgate.rules import n_plus_one as n_plus_one  # DJG607 registers there
from djgate.rules import typed_services as typed_services  # DJG606 registers there
from djgate.rules.atomic_wrappers import with_wrappers
from djgate.rules.pysource import Parents, PySource, dotted, is_migration, is_test_file, python_sources, span
from djgate.rules.workflow_facts import WORDS, FunctionFacts, ModuleNames, last_name, module_names

if TYPE_CHECKING:
    import ast

    from djgate.rules.workflow_facts import Function

DRF_VIEW_SUFFIXES = ("ViewSet", "APIView")
NINJA_METHODS = frozenset({"get", "post", "put", "patch", "delete", "api_operation"})


# -- which functions a change touches, and the facts about them, once per ChangeSet ------------------------


def _added_between(source: PySource, first: int, last: int) -> int:
    return bisect.bisect_right(source.added, last) - bisect.bisect_left(source.added, first)


def judged_functions(source: PySource) -> list[tuple[Function, Parents | None]]:
    """The functions the change adds a line to, outside the functions nested in them, in source order."""
    import ast

    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    functions = [(n, p) for n, p in source.touched_statements() if isinstance(n, kinds)]
    nested: dict[int, int] = {}  # id of a function -> added lines inside the touched functions it holds
    for node, parents in functions:
        outer = next((p for p in parents or () if isinstance(p, kinds)), None)
        if outer is not None:
            nested[id(outer)] = nested.get(id(outer), 0) + _added_between(source, *span(node))
    return [(n, p) for n, p in functions if _added_between(source, *span(n)) > nested.get(id(n), 0)]


def judged_sources(context: Context) -> Iterator[PySource]:
    """The parsed Python files the workflow rules judge: not tests, not migrations (on a merge, the lines
    in neither parent are the changed ones)."""
    for source in python_sources(context, lambda p: not is_test_file(p) and not is_migration(p)).values():
        if source.parsed:
            yield source


def function_facts(context: Context) -> Iterator[tuple[PySource, list[FunctionFacts]]]:
    known: dict[str, list[FunctionFacts]] = context.kept("workflow", dict)  # once per ChangeSet
    for source in judged_sources(context):
        if source.path not in known:
            text = source.text or ""
            functions = judged_functions(source) if any(w in text for w in WORDS) else []
            names = module_names(source.outline) if functions and source.outline else ModuleNames()
            facts = [FunctionFacts(f, p, names) for f, p in functions]
            known[source.path] = with_wrappers(context, source, facts) if functions else facts
        yield source, known[source.path]


# -- the rules -----------------------------------------------------------------------------------------------


@rule(
    "DJG601",
    "http-without-timeout",
    family="workflow",
    severity="warning",
    summary="An HTTP call in a changed function has no timeout.",
    why="""
        requests and urllib wait forever by default: one stalled partner API holds a gunicorn worker or a
        celery task until it is killed, and a few of them take the site down. httpx has a 5-second default
        that nobody chose. The workflow asks every I/O call to say how long it may take.
    """,
    fix="""
        Pass `timeout=` in seconds (a (connect, read) pair works too), or make the httpx client with
        `httpx.Client(timeout=...)`. A call whose timeout comes through `**kwargs` is not judged.
    """,
    bad='def rates():\n    return requests.get("https://api.example.com/rates").json()',
    good='def rates():\n    return requests.get("https://api.example.com/rates", timeout=10).json()',
)
def http_without_timeout(context: Context) -> Iterator[Finding]:
    """In a function the change touches: `requests.get/post/put/patch/delete/head/options/request()` (with
    requests imported), the same methods on a `requests.Session()` made in the function or at module
    level (unless an adapter is mounted on it), `httpx.get/.../stream()`, the methods of an
    `httpx.Client()`/`AsyncClient()` made in the same scope without a timeout, and
    `urllib.request.urlopen()`; each without `timeout=` (or with `timeout=None`). A `timeout` that may come
    through `**kwargs`, and clients made elsewhere (`self.session`), are not judged. Migrations and tests
    are exempt."""
    for source, functions in function_facts(context):
        for facts in functions:
            for untimed in facts.untimed:
                yield Finding(
                    "DJG601", untimed.message, path=source.path, line=untimed.line, hint=untimed.hint
                )


@rule(
    "DJG602",
    "writes-without-atomic",
    family="workflow",
    severity="warning",
    summary="A changed function makes two or more ORM writes outside transaction.atomic.",
    why="""
        Without a transaction, an exception (or a killed worker) between two writes leaves the database
        half-updated: an order without its lines, a payment without its ledger entry. Django runs each
        write in autocommit unless told otherwise.
    """,
    fix="""
        Decorate the function with `@transaction.atomic`, or wrap the writes in `with transaction.atomic():`
        (from django.db import transaction), or in the project's own wrapper of it. A wrapper that comes
        from a library (or is built in a way djgate does not see) goes in `atomic_wrappers` in
        `[tool.djgate]`. With `ATOMIC_REQUESTS = True` every view already runs in one transaction: silence
        the rule for views with `per_path_ignores`.
    """,
    bad="""
        def place_order(cart):
            order = Order.objects.create(customer=cart.customer)
            OrderLine.objects.bulk_create(cart.lines(order))
    """,
    good="""
        @transaction.atomic
        def place_order(cart):
            order = Order.objects.create(customer=cart.customer)
            OrderLine.objects.bulk_create(cart.lines(order))
    """,
)
def writes_without_atomic(context: Context) -> Iterator[Finding]:
    """In a function the change touches, ORM writes not under `transaction.atomic` (decorator, including
    `method_decorator` on the class, or a `with` block), counted along the paths one call can take (the two
    branches of an if, or a try and its except handler, are not added together): two or more is reported
    at the first. Writes: `.save()`/`.delete()` without positional arguments (not `form.save(commit=False)`
    or `request.session.save()`), `.create()`/`.update()` on a manager or queryset, `get_or_create`,
    `update_or_create`, `bulk_create`, `bulk_update`, and `.add()/.remove()/.set()/.clear()` on a related
    manager of an instance the function holds (`order.items`, `request.user.groups`, `x_set`).
    The project's own atomic wrappers count as `transaction.atomic`: a decorator or `with` item named in
    `atomic_wrappers`, or defined in the same module or in the repository module it is imported from,
    whose code runs its caller's inside atomic (a @contextmanager that yields inside `with atomic()`, a
    decorator that calls the function inside it, a function that returns `atomic(...)`, a subclass of
    `Atomic`); only the modules a reported function's wrappers come from are read. A function that calls
    `select_for_update()` (or a helper named `*select_for_update`) outside its own atomic blocks runs in
    its caller's transaction (Django refuses the lock in autocommit): its writes are not counted; so does
    a private helper (`_name`), or a method called as `cls.name()`/`self.name()` in its class, when every
    call of it in its module is inside atomic (a public function may be called from anywhere)."""
    for source, functions in function_facts(context):
        for facts in functions:
            worst = facts.worst
            if len(worst) >= 2:
                where = ", ".join(f"{w.label} (line {w.line})" for w in worst)
                yield Finding(
                    "DJG602",
                    f"{facts.name} makes {len(worst)} ORM writes outside transaction.atomic: {where}",
                    path=source.path,
                    line=worst[0].line,
                    hint=_atomic_hint(facts.func),
                )


def _atomic_hint(func: Function) -> str:
    import ast

    if isinstance(func, ast.AsyncFunctionDef):  # atomic() cannot wrap async code
        return (
            "move the writes into a sync function decorated with @transaction.atomic and await it "
            "through asgiref's sync_to_async"
        )
    return (
        f"decorate {func.name} with @transaction.atomic (from django.db import transaction), or put the "
        "writes in a `with transaction.atomic():` block"
    )


def is_view_module(path: str) -> bool:
    name = posixpath.basename(path)
    return name in ("views.py", "api.py") or "/views/" in f"/{path}"


def is_view(source: PySource, facts: FunctionFacts) -> bool:
    """In a view module, a method of a DRF view or viewset, a DRF `@api_view` or a django-ninja route."""
    import ast

    if is_view_module(source.path):
        return True
    for parent in facts.parents or ():
        if isinstance(parent, ast.ClassDef):
            bases = [last_name(dotted(b) or "") for b in parent.bases]
            return any(b.endswith(DRF_VIEW_SUFFIXES) or b == "GenericAPIView" for b in bases)
    routers = facts.module.routers
    for decorator in facts.func.decorator_list:
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = dotted(func) or ""
        prefix, _, method = name.rpartition(".")
        if last_name(name) == "api_view" or (prefix in routers and method in NINJA_METHODS):
            return True
    return False


def services_module(context: Context, path: str) -> str:
    """The app's services.py: in the app's directory (AppMap), else next to the view module."""
    label = context.apps.app_of(path)
    root = next((a.root for a in context.apps.apps.values() if a.label == label), None) if label else None
    if root is None:
        root = posixpath.dirname(path)
        if posixpath.basename(root) == "views":
            root = posixpath.dirname(root)
    return posixpath.join(root, "services.py")


@rule(
    "DJG603",
    "orm-write-in-view",
    family="workflow",
    severity="warning",
    summary="A changed view writes to the database itself instead of calling the app's service layer.",
    why="""
        The workflow keeps business logic in the service layer (`services.py`, reads in `selectors.py`)
        and lets views do request and response only. Writes spread across views cannot be reused by a
        management command, a celery task or the admin, are tested only through HTTP, and are where
        transactions and invariants get forgotten.
    """,
    fix="""
        Move the writes into a function of the app's `services.py` that takes plain arguments, and call it
        from the view. `form.save()` and `serializer.save()` (Django's and DRF's own idioms) are not
        counted.
    """,
    bad="""
        def cancel(request, pk):
            order = get_object_or_404(Order, pk=pk)
            order.status = "cancelled"
            order.save()
            return redirect(order)
    """,
    good="""
        def cancel(request, pk):
            order = services.cancel_order(order_id=pk, by=request.user)
            return redirect(order)
    """,
)
def orm_write_in_view(context: Context) -> Iterator[Finding]:
    """A function the change touches, in `views.py`, a module under `views/`, `api.py`, a DRF view or
    viewset class (a base named `*APIView`, `*ViewSet`), a DRF `@api_view` or a django-ninja route
    (`@router.get` on a `Router()`/`NinjaAPI()`), that makes an ORM write (as DJG602 counts them, but
    `form.save()` and `serializer.save()`); reported at the first, with the app's `services.py` in the
    hint."""
    for source, functions in function_facts(context):
        for facts in functions:
            writes = [w for w in facts.writes if not w.form]
            if not writes or not is_view(source, facts):
                continue
            more = f", and {len(writes) - 1} more" if len(writes) > 1 else ""
            services = services_module(context, source.path)
            yield Finding(
                "DJG603",
                f"view {facts.name} writes to the database: {writes[0].label}{more}",
                path=source.path,
                line=writes[0].line,
                hint=f"move the writes into a function of {services} and call it from the view",
            )


@rule(
    "DJG604",
    "check-then-act",
    family="workflow",
    severity="warning",
    summary="A changed function checks that a row exists, then creates it: a race.",
    why="""
        Two requests can both see "no such row" and both create it: a duplicate coupon use, two carts, two
        profiles. Under the default isolation level nothing between the check and the insert stops the
        second one; only the database can.
    """,
    fix="""
        Let the database decide: `get_or_create(...)` backed by a `UniqueConstraint` on the looked-up
        fields (and catch `IntegrityError`), or an `update()` with the condition in its filters. Or lock
        with `select_for_update()` inside `transaction.atomic()` when the row exists to be locked.
    """,
    bad="""
        def redeem(user, code):
            if not Redemption.objects.filter(user=user, code=code).exists():
                Redemption.objects.create(user=user, code=code)
    """,
    good="""
        def redeem(user, code):
            Redemption.objects.get_or_create(user=user, code=code)  # UniqueConstraint(user, code)
    """,
)
def check_then_act(context: Context) -> Iterator[Finding]:
    """In a function the change touches: `if X.objects.filter(...).exists():` (or `not ...exists()`, on a
    manager or a queryset held in a name), or `X.objects.get(...)` in a `try` whose `except` catches
    `DoesNotExist`, then, further down, `X.objects.create(...)` or `.save()` of an `X(...)` made in the
    function, on the same model, with no `select_for_update()` before the write (a lock on the row, or on
    a parent row, serializes the requests). Reported at the write. Not a race: a write in the body of a
    `try` whose `except` catches `IntegrityError` (alone or in a tuple: the database decides), a
    `save(update_fields=...)` or `save(force_update=True)` (an update, never an insert), and a write after
    a `get()` whose `DoesNotExist` handler leaves (raise, return, continue: the row was found)."""
    for source, functions in function_facts(context):
        for facts in functions:
            for act, check in facts.races():
                yield Finding(
                    "DJG604",
                    f"{act.label} after {check.what} on line {check.line}: another request can create "
                    "the row in between",
                    path=source.path,
                    line=act.line,
                    hint=f"use {check.model}.objects.get_or_create(...) with a UniqueConstraint on the "
                    "looked-up fields (catch IntegrityError), or update() with the condition in its filters",
                )


@rule(
    "DJG605",
    "unique-together",
    family="workflow",
    severity="warning",
    summary="A model's Meta sets unique_together; use a UniqueConstraint.",
    why="""
        Django documents `unique_together` as likely to be deprecated: `UniqueConstraint` in
        `Meta.constraints` does the same and more (a name you choose, conditions, expressions, deferrable
        constraints), and keeps every invariant of the model in one list.
    """,
    fix="""
        Replace it with `constraints = [models.UniqueConstraint(fields=[...], name="...")]` in the Meta and
        run `makemigrations` (it writes the AlterUniqueTogether and the AddConstraint).
    """,
    bad='class Meta:\n    unique_together = [("customer", "code")]',
    good="""
        class Meta:
            constraints = [
                models.UniqueConstraint(fields=["customer", "code"], name="unique_coupon_customer_code"),
            ]
    """,
)
def unique_together(context: Context) -> Iterator[Finding]:
    """An added or changed `unique_together = ...` in a `class Meta` nested in a class (a model); not in
    migrations or tests. The hint spells out the UniqueConstraint for a literal value."""
    import ast

    for source in judged_sources(context):
        if "unique_together" not in (source.text or ""):
            continue
        for node, parents in source.touched_statements():
            if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if not any(isinstance(t, ast.Name) and t.id == "unique_together" for t in targets):
                continue
            if isinstance(node.value, (ast.Tuple, ast.List)) and not node.value.elts:
                continue  # emptied: the step that replaces it with constraints
            meta, model = [*(parents or ()), None, None][:2]
            if not (
                isinstance(meta, ast.ClassDef) and meta.name == "Meta" and isinstance(model, ast.ClassDef)
            ):
                continue
            yield Finding(
                "DJG605",
                f"{model.name}.Meta.unique_together: use a UniqueConstraint in Meta.constraints",
                path=source.path,
                line=node.lineno,
                hint=_constraint_hint(model.name, node.value),
            )


def _quoted(text: str) -> str:
    return f'"{text}"'


def _name(model: str, fields: list[str]) -> str:
    return f"unique_{model.lower()}_{'_'.join(fields)}"


def _constraint_hint(model: str, value: ast.expr) -> str:
    import ast

    def names(node: ast.expr) -> list[str] | None:
        if isinstance(node, (ast.Tuple, ast.List)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
        ):
            return [e.value for e in node.elts]  # type: ignore[attr-defined]
        return None

    groups: list[list[str]] | None = None
    single = names(value)
    if single:
        groups = [single]
    elif isinstance(value, (ast.Tuple, ast.List)):
        found = [names(e) for e in value.elts]
        groups = [g for g in found if g] if all(found) else None
    if not groups:
        return "constraints = [models.UniqueConstraint(fields=[...], name=...)], then makemigrations"
    constraints = ", ".join(
        f"models.UniqueConstraint(fields=[{', '.join(map(_quoted, g))}], name={_quoted(_name(model, g))})"
        for g in groups
    )
    return f"constraints = [{constraints}] in the Meta, then makemigrations"
