"""DJG6xx: the workflow's standards on the code a change touches: I/O with timeouts (DJG601), several
database writes in one transaction (DJG602), no ORM writes in views (DJG603), no check-then-act races
(DJG604), uniqueness as a constraint (DJG605).

Static and deliberately narrow: a call counts only when its shape says what it is (`requests.get` with
requests imported, `.create()` on a manager or queryset, `.save()` without positional arguments), so a
finding is worth reading. DJG601-604 judge a function when the change adds a line of its own (not only
lines of a function nested in it); each judged function is read once, into `FunctionFacts` that the four
rules share.
"""

from __future__ import annotations

import bisect
import functools
import posixpath
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from djgate.findings import Finding
from djgate.pysource import Parents, PySource, dotted, is_migration, is_test_file, python_sources, span
from djgate.rules import Context, rule

if TYPE_CHECKING:
    import ast

    from djgate.changeset import ChangeSet
    from djgate.project import AppMap

    Function = ast.FunctionDef | ast.AsyncFunctionDef

# Words one of the function rules needs in a file before its functions are worth reading (async twins too).
WORDS = ("requests", "httpx", "urlopen", "save(", "delete(", "create(", "update(", "bulk_", "add(", "remove(",
         "set(", "clear(")  # fmt: skip

REQUESTS_FUNCTIONS = frozenset({"request", "get", "options", "head", "post", "put", "patch", "delete"})
HTTPX_FUNCTIONS = REQUESTS_FUNCTIONS | {"stream"}
CLIENT_CLASSES = {
    ("requests", "Session"),
    ("requests", "session"),
    ("httpx", "Client"),
    ("httpx", "AsyncClient"),
}
HTTP_LIBRARIES = ("requests", "httpx", "urllib.request")

MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
QUERYSET_METHODS = frozenset(
    {"all", "filter", "exclude", "select_related", "prefetch_related", "order_by", "annotate", "alias",
     "distinct", "only", "defer", "using", "select_for_update", "none", "reverse", "get_queryset"}
)  # fmt: skip
INSTANCE_METHODS = frozenset({"get", "create", "first", "last", "latest", "earliest"})
ALWAYS_WRITES = frozenset({"get_or_create", "update_or_create", "bulk_create", "bulk_update"})
MANAGER_WRITES = frozenset({"create", "update"})
RELATED_WRITES = frozenset({"add", "remove", "set", "clear"})
# Django's async twins (`acreate`, `asave`, `aexists`, ...) count as the method they wrap.
ORM_METHODS = (
    INSTANCE_METHODS | ALWAYS_WRITES | MANAGER_WRITES | RELATED_WRITES | {"save", "delete", "exists"}
)
ASYNC_TWINS = frozenset("a" + name for name in ORM_METHODS)
KNOWN_INSTANCES = frozenset({"request.user", "self.request.user", "self.object"})
DRF_VIEW_SUFFIXES = ("ViewSet", "APIView")
NINJA_METHODS = frozenset({"get", "post", "put", "patch", "delete", "api_operation"})


class Write(NamedTuple):
    """An ORM write: `label` as written (`Order.objects.create()`); `form` for form and serializer saves."""

    line: int
    label: str
    form: bool
    protected: bool  # under transaction.atomic


class Check(NamedTuple):
    line: int
    model: str
    what: str  # how the row was looked for: `Coupon.objects.filter(...).exists()`
    until: int | None = None  # the last line it covers: the end of a "does not exist" handler that leaves


class Act(NamedTuple):
    line: int
    model: str
    label: str


class Client(NamedTuple):
    """A requests Session or an httpx client: timed True when made with a timeout, None when unknown."""

    library: str
    timed: bool | None


class Untimed(NamedTuple):
    line: int
    message: str
    hint: str


class Bound(NamedTuple):
    """What a local name holds: a "queryset", an "instance" fetched or created, or a "new" `X(...)`."""

    kind: str
    model: str


Binding = Bound | Client
WritePath = list[Write] | None  # the unprotected writes along one path; None: no path goes on
FORM = re.compile(r"(?:^|_)(?:form|formset|serializer)$|(?:Form|FormSet|Serializer)$")


# -- what a module binds -----------------------------------------------------------------------------------


class ModuleNames:
    """Module-level names the function rules resolve: HTTP libraries and what was imported from them,
    module-level sessions and clients, django-ninja routers."""

    def __init__(self) -> None:
        self.modules: dict[str, str] = {}  # local dotted name -> library
        self.functions: dict[str, tuple[str, str]] = {}  # local name -> (library, name in it)
        self.clients: dict[str, Binding] = {}
        self.routers: set[str] = set()

    def add_import(self, node: ast.Import | ast.ImportFrom) -> None:
        import ast

        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in HTTP_LIBRARIES:
                    self.modules[alias.asname or alias.name] = alias.name
                elif alias.name == "urllib" and not alias.asname:
                    self.modules["urllib.request"] = "urllib.request"
        elif node.module in HTTP_LIBRARIES:
            for alias in node.names:
                self.functions[alias.asname or alias.name] = (node.module, alias.name)
        elif node.module == "urllib":
            for alias in node.names:
                if alias.name == "request":
                    self.modules[alias.asname or alias.name] = "urllib.request"

    def resolve(self, func: ast.expr) -> tuple[str, str] | None:
        """(library, name) when `func` names something of requests, httpx or urllib.request."""
        name = dotted(func)
        if name is None:
            return None
        if name in self.functions:
            return self.functions[name]
        prefix, _, attr = name.rpartition(".")
        library = self.modules.get(prefix)
        return (library, attr) if library else None

    def client(self, call: ast.expr) -> Client | None:
        """The client a call such as `requests.Session()` or `httpx.Client(timeout=5)` makes."""
        import ast

        if not isinstance(call, ast.Call):
            return None
        made = self.resolve(call.func)
        if made not in CLIENT_CLASSES:
            return None
        library = made[0]
        if library == "requests":
            return Client(library, False)  # a Session takes no timeout
        state = timeout_state(call)
        return Client(library, None if state == "unknown" else state == "given")


def module_names(tree: ast.Module) -> ModuleNames:
    """One pass over the module's top-level statements (and those of top-level if/try blocks)."""
    import ast

    names = ModuleNames()
    stack = list(reversed(tree.body))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names.add_import(stmt)
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            client = names.client(stmt.value)
            callee = dotted(stmt.value.func) or ""
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    if client is not None:
                        names.clients[target.id] = client
                    elif callee.rpartition(".")[2] in ("Router", "NinjaAPI"):
                        names.routers.add(target.id)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            _forget_mounted(stmt.value, names.clients)
        elif isinstance(stmt, (ast.If, ast.Try)):
            nested = stmt.body + stmt.orelse + getattr(stmt, "finalbody", [])
            nested += [s for h in getattr(stmt, "handlers", []) for s in h.body]
            stack.extend(reversed(nested))
    return names


def _forget_mounted(call: ast.Call, clients: dict[str, Binding]) -> None:
    """`session.mount(prefix, adapter)`: the adapter may set a timeout, so the session is not judged."""
    import ast

    func = call.func
    receiver = func.value if isinstance(func, ast.Attribute) and func.attr == "mount" else None
    if isinstance(receiver, ast.Name) and isinstance(clients.get(receiver.id), Client):
        clients[receiver.id] = Client("requests", None)


def timeout_state(call: ast.Call, position: int | None = None) -> str:
    """One of given, none (`timeout=None`), missing, unknown (`**kwargs` or `*args` may carry it)."""
    import ast

    for keyword in call.keywords:
        if keyword.arg is None:
            return "unknown"
        if keyword.arg == "timeout":
            none = isinstance(keyword.value, ast.Constant) and keyword.value.value is None
            return "none" if none else "given"
    if position is not None:
        if any(isinstance(a, ast.Starred) for a in call.args):
            return "unknown"
        if len(call.args) > position:
            return "given"
    return "missing"


# -- one function, read once -------------------------------------------------------------------------------


def mentions_atomic(node: ast.AST, wrappers: frozenset[str] = frozenset()) -> bool:
    """`transaction.atomic`, `atomic(using=...)`, `method_decorator(transaction.atomic, ...)`, or one of the
    project's atomic `wrappers` as the module spells it (`traced_atomic()`, `db.traced_atomic`)."""
    import ast

    for n in ast.walk(node):
        if isinstance(n, ast.Name) and (n.id == "atomic" or n.id in wrappers):
            return True
        if isinstance(n, ast.Attribute) and (n.attr == "atomic" or (wrappers and dotted(n) in wrappers)):
            return True
    return False


def describe(node: ast.AST) -> str:
    """A short rendering of a call's receiver: `Order.objects.filter(...).update`."""
    import ast

    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{describe(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{describe(node.func)}({'...' if node.args or node.keywords else ''})"
    if isinstance(node, ast.Subscript):
        return f"{describe(node.value)}[...]"
    return "(...)"


def _last(name: str) -> str:
    return name.rpartition(".")[2]


def _method(name: str) -> str:
    """The ORM method a name calls: `acreate` is `create`."""
    return name[1:] if name in ASYNC_TWINS else name


class FunctionFacts:
    """What DJG601-604 need to know about one function, gathered in one walk of its own body (functions,
    classes and lambdas nested in it are theirs, not its)."""

    def __init__(
        self,
        func: Function,
        parents: Parents | None,
        names: ModuleNames,
        wrappers: frozenset[str] = frozenset(),
    ) -> None:
        import ast

        self.func = func
        self.parents = parents
        self.module = names
        self.wrappers = wrappers  # the project's atomic wrappers the function uses, as it spells them
        self.http = names  # replaced by a copy when the function imports an HTTP library itself
        arguments = func.args
        parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        parameters += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
        shadowed = {a.arg for a in parameters}  # a parameter named like a module-level client is not it
        self.bindings: dict[str, Binding] = {k: v for k, v in names.clients.items() if k not in shadowed}
        self.writes: list[Write] = []
        self.untimed: list[Untimed] = []
        self.checks: list[Check] = []
        self.acts: list[Act] = []
        self.locks: list[int] = []  # lines that call select_for_update()
        self._gets: list[Check] = []
        self._guarded = 0  # inside the body of a try that catches IntegrityError: the database decides
        self.caller_atomic = False  # a row lock outside its own atomic blocks: its caller's transaction
        classes = [p for p in parents or () if isinstance(p, ast.ClassDef)]
        atomic = any(mentions_atomic(d, wrappers) for d in func.decorator_list)
        atomic = atomic or any(mentions_atomic(d, wrappers) for c in classes[:1] for d in c.decorator_list)
        fall, out = self.block(func.body, atomic)
        worst = max(fall or [], out, key=len)  # unprotected writes on the path with the most
        self.worst = [] if self.caller_atomic else worst

    @property
    def name(self) -> str:
        import ast

        owners = []
        for parent in self.parents or ():
            if isinstance(parent, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                owners.append(parent.name)
        return ".".join([*reversed(owners), self.func.name])

    def races(self) -> Iterator[tuple[Act, Check]]:
        """Each act on a model after a check on the same model, with no select_for_update() before it (a
        lock on the row, or on a parent row, serializes the requests)."""
        for act in self.acts:
            if any(lock <= act.line for lock in self.locks):
                continue
            for check in self.checks:
                covers = check.line <= act.line and (check.until is None or act.line <= check.until)
                if check.model == act.model and covers:
                    yield act, check
                    break

    # Paths: a block returns the unprotected writes on its longest path that goes on after it (None when
    # every path returns or raises) and on its longest path that leaves early. Writes in the two branches
    # of an if, or in an except handler and its try, are never counted together.

    def block(self, stmts: list[ast.stmt], atomic: bool) -> tuple[WritePath, list[Write]]:
        fall: WritePath = []
        out: list[Write] = []
        for stmt in stmts:
            f, o = self.statement(stmt, atomic)
            if fall is not None:
                out = max(out, fall + o, key=len)
                fall = None if f is None else fall + f
        return fall, out

    def statement(self, stmt: ast.stmt, atomic: bool) -> tuple[WritePath, list[Write]]:
        import ast

        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return [], []
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            atomic_body = atomic or any(mentions_atomic(i.context_expr, self.wrappers) for i in stmt.items)
            head = [w for item in stmt.items for w in self.expression(item.context_expr, atomic)]
            for item in stmt.items:
                if isinstance(item.optional_vars, ast.Name):
                    self.bind(item.optional_vars.id, item.context_expr)
            fall, out = self.block(stmt.body, atomic_body)
            return _after(head, fall), head + out
        head = self.header(stmt, atomic)
        if isinstance(stmt, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
            return None, head
        if isinstance(stmt, ast.If):
            self.exists_checks(stmt.test)
            paths = [self.block(stmt.body, atomic), self.block(stmt.orelse, atomic)]
            return _branches(head, paths)
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            if isinstance(stmt, (ast.For, ast.AsyncFor)) and isinstance(stmt.target, ast.Name):
                self.bind_loop(stmt.target.id, stmt.iter)
            body_fall, body_out = self.block(stmt.body, atomic)
            else_fall, else_out = self.block(stmt.orelse, atomic)
            through = head + (body_fall or [])
            return _after(through, else_fall), max(head + body_out, through + else_out, key=len)
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            return self.try_statement(stmt, atomic)  # type: ignore[arg-type]
        if isinstance(stmt, ast.Match):
            paths = [self.block(case.body, atomic) for case in stmt.cases] + [([], [])]
            return _branches(head, paths)
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self.local_import(stmt)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                self.assign(target, stmt.value)
        return head, []

    def try_statement(self, stmt: ast.Try, atomic: bool) -> tuple[WritePath, list[Write]]:
        """The body then the else block, or one except handler instead (its writes are not added to the
        body's); the finally block after either."""
        gets_before = len(self._gets)
        guarded = any(_catches(h.type, "IntegrityError") for h in stmt.handlers)
        self._guarded += guarded
        body_fall, body_out = self.block(stmt.body, atomic)
        self._guarded -= guarded
        else_fall, else_out = self.block(stmt.orelse, atomic)
        handled = [self.handler(h, atomic) for h in stmt.handlers]
        # A get() checks for the acts of its "does not exist" handler, and for those after the try when the
        # handler goes on: one that leaves (raise, return, continue) leaves the path where the row was found.
        pairs = zip(stmt.handlers, handled, strict=True)
        missing = [(h, f) for h, (f, _) in pairs if _catches(h.type, "DoesNotExist")]
        if missing:
            leaving = all(f is None for _, f in missing)
            until = max(h.end_lineno or h.lineno for h, _ in missing) if leaving else None
            self.checks += [get._replace(until=until) for get in self._gets[gets_before:]]
        normal = None if body_fall is None else _after(body_fall, else_fall)
        falls = [p for p in [normal, *(f for f, _ in handled)] if p is not None]
        outs = [body_out, *(o for _, o in handled)] + (
            [body_fall + else_out] if body_fall is not None else []
        )
        fall = max(falls, key=len) if falls else None
        out = max(outs, key=len)
        final_fall, final_out = self.block(stmt.finalbody, atomic)
        through = None if fall is None or final_fall is None else fall + final_fall
        return through, max(out + (final_fall or []), (fall or []) + final_out, key=len)

    def handler(self, handler: ast.excepthandler, atomic: bool) -> tuple[WritePath, list[Write]]:
        """An except block; what it binds is forgotten when it leaves (`user = User()` then `raise`)."""
        before = dict(self.bindings)
        fall, out = self.block(handler.body, atomic)  # type: ignore[attr-defined]
        if fall is None:
            self.bindings = before
        return fall, out

    def header(self, stmt: ast.stmt, atomic: bool) -> list[Write]:
        """The calls in a statement's own expressions (not in the statements nested in it)."""
        import ast

        writes: list[Write] = []
        for child in ast.iter_child_nodes(stmt):
            if not isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
                writes += self.expression(child, atomic)
        return writes

    def expression(self, node: ast.AST, atomic: bool) -> list[Write]:
        import ast

        writes: list[Write] = []
        stack = [node]
        while stack:
            here = stack.pop()
            if isinstance(here, ast.Lambda):
                continue
            if isinstance(here, ast.Call):
                write = self.call(here, atomic)
                if write is not None and not write.protected:
                    writes.append(write)
            stack.extend(reversed(list(ast.iter_child_nodes(here))))
        return writes

    # -- calls

    def call(self, call: ast.Call, atomic: bool) -> Write | None:
        import ast

        func = call.func
        if self.http.modules or self.http.functions:  # no HTTP library imported, no client either
            self.http_call(call)
        called = (
            func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        )
        if not atomic and called.endswith("select_for_update"):
            self.caller_atomic = True  # Django refuses select_for_update() in autocommit: a caller's atomic
        if not isinstance(func, ast.Attribute):
            return None
        method, receiver = _method(func.attr), func.value
        form = False
        if method in ALWAYS_WRITES:
            pass
        elif method in MANAGER_WRITES or method == "get":
            model = self.queryset_model(receiver)
            if model is None:
                return None
            if method == "get":  # the check of a try/except DoesNotExist
                if model != "?":
                    self._gets.append(Check(call.lineno, model, f"{describe(func)}()"))
                return None
            if method == "create" and model != "?" and not self._guarded:
                self.acts.append(Act(call.lineno, model, f"{describe(func)}()"))
        elif method in ("save", "delete"):
            if _positional(call) or (method == "save" and any(k.arg == "commit" for k in call.keywords)):
                return None  # image.save(buffer), cache.delete(key); form.save(commit=False) writes nothing
            owner = describe(receiver).rpartition(".")[2]
            if owner == "session":
                return None  # request.session: the session backend, not the app's models
            form = FORM.search(owner.partition("(")[0]) is not None
            bound = self.bindings.get(receiver.id) if isinstance(receiver, ast.Name) else None
            if method == "save" and isinstance(bound, Bound) and bound.kind == "new" and self.inserts(call):
                self.acts.append(Act(call.lineno, bound.model, f"{describe(func)}()"))
        elif method == "select_for_update":
            self.locks.append(call.lineno)
            return None
        elif method == "mount":
            _forget_mounted(call, self.bindings)
            return None
        elif not (method in RELATED_WRITES and self.related_manager(receiver)):
            return None
        write = Write(call.lineno, f"{describe(func)}()", form, atomic)
        self.writes.append(write)
        return write

    def inserts(self, save: ast.Call) -> bool:
        """Can this save() insert a row? Not under an IntegrityError handler (the database decides), nor
        with update_fields= or force_update=True: Django refuses those without a row to update."""
        import ast

        for keyword in save.keywords:
            value = keyword.value.value if isinstance(keyword.value, ast.Constant) else True
            if keyword.arg in ("update_fields", "force_update") and value not in (None, False):
                return False
        return not self._guarded

    def http_call(self, call: ast.Call) -> None:
        import ast

        made = self.http.resolve(call.func)
        state, hint = None, "pass a timeout in seconds: {name}(..., timeout=10)"
        if made is not None:
            library, function = made
            if library == "requests" and function in REQUESTS_FUNCTIONS:
                state = timeout_state(call)
            elif library == "httpx" and function in HTTPX_FUNCTIONS:
                state, hint = timeout_state(call), "pass a timeout in seconds: {name}(..., timeout=10.0)"
            elif library == "urllib.request" and function == "urlopen":
                state, hint = (
                    timeout_state(call, position=2),
                    "pass a timeout in seconds: {name}(url, timeout=10)",
                )
        elif isinstance(call.func, ast.Attribute) and call.func.attr in HTTPX_FUNCTIONS:
            receiver = call.func.value
            client = self.http.client(receiver)
            if client is None and isinstance(receiver, ast.Name):
                bound = self.bindings.get(receiver.id)
                client = bound if isinstance(bound, Client) else None
            if client is None or client.timed is None or client.timed:
                return
            if client.library == "requests" and call.func.attr == "stream":
                return
            state = timeout_state(call)
            if client.library == "httpx":
                hint = (
                    "make the client with one, httpx.Client(timeout=10.0), or pass {name}(..., timeout=10.0)"
                )
            else:
                hint = "a requests Session has no default timeout: pass {name}(..., timeout=10)"
        if state not in ("missing", "none"):
            return
        name = describe(call.func)
        what = "without a timeout" if state == "missing" else "with timeout=None waits forever"
        self.untimed.append(Untimed(call.lineno, f"{name}() {what}", hint.format(name=name)))

    # -- what names hold

    def queryset_model(self, node: ast.expr) -> str | None:
        """The model of a manager or queryset expression (`Order.objects.filter(...)`): its name, "?"
        when the model is not named (`order.items`, `self.get_queryset()`), None when it is no queryset."""
        import ast

        if isinstance(node, ast.Attribute):
            if node.attr in MANAGERS:
                return _last(dotted(node.value) or "?")
            if node.attr.endswith("_set") or self.related_manager(node):
                return "?"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "get_queryset":
                return "?"
            if node.func.attr in QUERYSET_METHODS:
                return self.queryset_model(node.func.value)
        elif isinstance(node, ast.Name):
            bound = self.bindings.get(node.id)
            if isinstance(bound, Bound) and bound.kind == "queryset":
                return bound.model
        return None

    def related_manager(self, node: ast.expr) -> bool:
        """`order.items`, `request.user.groups`: an attribute of a model instance the function holds."""
        import ast

        if not isinstance(node, ast.Attribute):
            return False
        if node.attr.endswith("_set"):
            return True
        owner = node.value
        if dotted(owner) in KNOWN_INSTANCES:
            return True
        bound = self.bindings.get(owner.id) if isinstance(owner, ast.Name) else None
        return isinstance(bound, Bound) and bound.kind == "instance"

    def instance_model(self, value: ast.expr) -> str | None:
        """The model of an instance an expression fetches or creates (`X.objects.get(...)`,
        `get_object_or_404(X, ...)`), else None."""
        import ast

        if not isinstance(value, ast.Call):
            return None
        func = value.func
        if isinstance(func, ast.Attribute) and _method(func.attr) in INSTANCE_METHODS:
            return self.queryset_model(func.value)
        if _last(dotted(func) or "") == "get_object_or_404" and value.args:
            return _last(dotted(value.args[0]) or "?")
        return None

    def bind(self, name: str, value: ast.expr) -> None:
        import ast

        self.bindings.pop(name, None)
        client = self.http.client(value)
        if client is not None:
            self.bindings[name] = client
            return
        queryset = self.queryset_model(value)
        instance = None if queryset else self.instance_model(value)
        if queryset:
            self.bindings[name] = Bound("queryset", queryset)
        elif instance:
            self.bindings[name] = Bound("instance", instance)
        elif isinstance(value, ast.Call) and (callee := dotted(value.func)) and _last(callee)[:1].isupper():
            self.bindings[name] = Bound("new", _last(callee))  # Coupon(code=...): maybe a model, saved later

    def bind_loop(self, name: str, iterable: ast.expr) -> None:
        self.bindings.pop(name, None)
        model = self.queryset_model(iterable)
        if model:
            self.bindings[name] = Bound("instance", model)

    def assign(self, target: ast.expr, value: ast.expr) -> None:
        import ast

        if isinstance(target, ast.Name):
            self.bind(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)) and target.elts:
            for element in target.elts:
                if isinstance(element, ast.Name):
                    self.bindings.pop(element.id, None)
            # obj, created = X.objects.get_or_create(...)
            first, func = target.elts[0], value.func if isinstance(value, ast.Call) else None
            if isinstance(func, ast.Attribute) and _method(func.attr) in (
                "get_or_create",
                "update_or_create",
            ):
                model = self.queryset_model(func.value)
                if model and isinstance(first, ast.Name):
                    self.bindings[first.id] = Bound("instance", model)

    def local_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if self.http is self.module:
            copy = ModuleNames()
            copy.modules, copy.functions = dict(self.module.modules), dict(self.module.functions)
            self.http = copy
        self.http.add_import(node)

    def exists_checks(self, test: ast.expr) -> None:
        """`if X.objects.filter(...).exists():` (or `not`, or inside `and`/`or`)."""
        import ast

        for node in ast.walk(test):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and _method(node.func.attr) == "exists"
            ):
                model = self.queryset_model(node.func.value)
                if model and model != "?":
                    self.checks.append(Check(node.lineno, model, f"{describe(node.func)}()"))


def _positional(call: ast.Call) -> bool:
    """Positional arguments other than `*args`: `image.save(buffer)`, `cache.delete(key)` are no ORM."""
    import ast

    return any(not isinstance(a, ast.Starred) for a in call.args)


def _catches(node: ast.expr | None, exception: str) -> bool:
    """Does an except clause name an exception ending in `exception` (`Order.DoesNotExist`,
    `ObjectDoesNotExist`, `db.IntegrityError`), alone or in a tuple?"""
    import ast

    if node is None:
        return False
    names = node.elts if isinstance(node, ast.Tuple) else [node]
    return any(_last(dotted(n) or "").endswith(exception) for n in names)


def _after(before: list[Write], then: WritePath) -> WritePath:
    return None if then is None else before + then


def _branches(head: list[Write], paths: list[tuple[WritePath, list[Write]]]) -> tuple[WritePath, list[Write]]:
    falls = [head + f for f, _ in paths if f is not None]
    return (max(falls, key=len) if falls else None), max((head + o for _, o in paths), key=len)


# -- the project's own atomic wrappers (DJG602) --------------------------------------------------------------
#
# A function that DJG602 would report is read again when it enters, as a context manager or a decorator, a
# name that turns out to be one of the project's atomic wrappers: configured (`atomic_wrappers`), defined in
# the same module, or defined in the repository module it is imported from. Only those modules are read
# (through the context's path_contents, one git call for a range's commits): never a scan of the repository.


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
        if isinstance(expr, ast.Call) and _last(dotted(callee) or "") == "method_decorator" and expr.args:
            first = expr.args[0]
            callee = first.func if isinstance(first, ast.Call) else first
        name = dotted(callee)
        if name and _last(name) != "atomic":
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
    return _last(name) in ("atomic", "Atomic") or name in known


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
        partial = _last(dotted(func) or "") == "partial" and node.args
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
            if method and not any(p is owner for p in parents):
                continue  # `cls.save()` of another class is another method
            if any(_is_call_of(n, name, method) for n in ast.walk(func)):
                wrappers = self.used_by(func, parents) if wrapper_candidates(func, parents) else frozenset()
                classes = [p for p in parents if isinstance(p, ast.ClassDef)]
                decorators = [*func.decorator_list, *(d for c in classes[:1] for d in c.decorator_list)]
                atomic = any(mentions_atomic(d, wrappers) for d in decorators)
                calls += _calls_of(func.body, name, method, atomic, wrappers)
        return bool(calls) and all(calls)


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
        if source.tree is not None:
            yield source


_cache: tuple[ChangeSet, dict[str, list[FunctionFacts]]] | None = None


def function_facts(context: Context) -> Iterator[tuple[PySource, list[FunctionFacts]]]:
    global _cache
    if _cache is None or _cache[0] is not context.changeset:
        _cache = (context.changeset, {})
    known = _cache[1]
    for source in judged_sources(context):
        if source.path not in known:
            text = source.text or ""
            functions = judged_functions(source) if any(w in text for w in WORDS) else []
            names = module_names(source.tree) if functions and source.tree else ModuleNames()
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
            bases = [_last(dotted(b) or "") for b in parent.bases]
            return any(b.endswith(DRF_VIEW_SUFFIXES) or b == "GenericAPIView" for b in bases)
    routers = facts.module.routers
    for decorator in facts.func.decorator_list:
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = dotted(func) or ""
        prefix, _, method = name.rpartition(".")
        if _last(name) == "api_view" or (prefix in routers and method in NINJA_METHODS):
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
