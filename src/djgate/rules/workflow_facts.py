"""What the workflow rules (DJG601-604) know about one changed function, read once: the HTTP calls it makes
and their timeouts, its ORM writes and which of them `transaction.atomic` protects, along each path through
it, the rows it checks for and then creates, the rows it locks.

Static and deliberately narrow: a call counts only when its shape says what it is (`requests.get` with
requests imported, `.create()` on a manager or queryset, `.save()` without positional arguments), so a
finding is worth reading. `rules/workflow.py` holds the rules that read these facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from djgate.rules.pysource import Parents, dotted

if TYPE_CHECKING:
    import ast

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


def last_name(name: str) -> str:
    """The last part of a dotted name: `Order.DoesNotExist` -> `DoesNotExist`."""
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
                return last_name(dotted(node.value) or "?")
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
        if last_name(dotted(func) or "") == "get_object_or_404" and value.args:
            return last_name(dotted(value.args[0]) or "?")
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
        elif (
            isinstance(value, ast.Call) and (callee := dotted(value.func)) and last_name(callee)[:1].isupper()
        ):
            self.bindings[name] = Bound("new", last_name(callee))  # Coupon(code=...): a model, saved later?

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
    return any(last_name(dotted(n) or "").endswith(exception) for n in names)


def _after(before: list[Write], then: WritePath) -> WritePath:
    return None if then is None else before + then


def _branches(head: list[Write], paths: list[tuple[WritePath, list[Write]]]) -> tuple[WritePath, list[Write]]:
    falls = [head + f for f, _ in paths if f is not None]
    return (max(falls, key=len) if falls else None), max((head + o for _, o in paths), key=len)
