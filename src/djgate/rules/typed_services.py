"""DJG606: the service layer's public functions are typed (the workflow family; `rules/workflow.py` loads it).

The service layer is what views, tasks and commands call: `services.py`, `selectors.py`, `schemas.py`
(django-ninja's API contracts), and the modules under `services/`, `selectors/`, `schemas/`. Only the
public functions a change touches are judged, as the other workflow rules decide which.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING

from djgate.findings import Finding
from djgate.rules import Context, rule
from djgate.rules.pysource import Parents, PySource, dotted
from djgate.rules.workflow_facts import last_name

if TYPE_CHECKING:
    import ast

    from djgate.rules.workflow_facts import Function

SERVICE_MODULES = frozenset({"services.py", "selectors.py", "schemas.py"})
SERVICE_PACKAGES = ("/services/", "/selectors/", "/schemas/")
PLACEHOLDER = "<type>"


# A package that names another layer: `ipam/models/services.py` holds a Service model, not the service layer.
OTHER_LAYERS = frozenset(
    {"models", "tables", "forms", "filtersets", "filters", "serializers", "serializers_", "views", "admin",
     "graphql", "templatetags", "management", "migrations"}
)  # fmt: skip


def is_service_module(path: str) -> bool:
    directories = posixpath.dirname(path).split("/")
    if any(d in OTHER_LAYERS for d in directories):
        return False
    return posixpath.basename(path) in SERVICE_MODULES or any(p in f"/{path}" for p in SERVICE_PACKAGES)


@rule(
    "DJG606",
    "untyped-service-function",
    family="workflow",
    severity="warning",
    summary="A changed public function of the service layer lacks type annotations.",
    why="""
        The service layer is the contract between views, tasks, commands and the business logic: its
        signatures are what callers read and what mypy checks them against. An unannotated parameter is
        `Any` to mypy, so a view passing an id where an Order is expected is found in production, not in CI.
    """,
    fix="""
        Annotate every parameter (`*args: Any` and `**kwargs: Any` count) and the return (`-> None` when
        it returns nothing); the hint writes the signature with `<type>` where an annotation is missing.
        Helpers meant for the module only can be made private (`_name`) instead.
    """,
    bad="""
        def refund(order, amount):
            return Refund.objects.create(order=order, amount=amount)
    """,
    good="""
        def refund(order: Order, amount: Decimal) -> Refund:
            return Refund.objects.create(order=order, amount=amount)
    """,
)
def untyped_service_function(context: Context) -> Iterator[Finding]:
    """A public function the change touches in `services.py`, `selectors.py`, `schemas.py` or a module under
    `services/`, `selectors/` or `schemas/` (not tests, not migrations), with a parameter or its return not
    annotated. Exempt: private functions and methods (`_name`) and the methods of a private class, dunder
    methods (but the parameters of `__init__`, which needs no return annotation), functions nested in a
    function, `@overload` stubs, and the first parameter (`self`, `cls`) of a method that is not a
    `@staticmethod`. A module under a package named for another layer (`models/services.py`, `tables/`,
    `forms/`, `filtersets/`, `serializers/`, `views/`, `admin/`, `graphql/`) holds no service layer: it is
    not judged. DRF's `serializers.py` is not judged: its methods override the framework's hooks
    (`validate_<field>`, `create`, `to_representation`), whose types DRF does not declare."""
    from djgate.rules.workflow import judged_functions, judged_sources

    for source in judged_sources(context):
        if not is_service_module(source.path):
            continue
        for func, parents in judged_functions(source):
            missing = _missing(func, parents)
            if missing:
                yield _finding(source, func, parents, missing)


def _missing(func: Function, parents: Parents | None) -> list[str]:
    """The parameters (and `return`) of a judged function that lack an annotation; [] when exempt."""
    import ast

    name = func.name
    dunder = name.startswith("__") and name.endswith("__")
    if (name.startswith("_") and not dunder) or (dunder and name != "__init__"):
        return []
    owner = next(iter(parents or ()), None)
    if any(isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)) for p in parents or ()):
        return []  # nested: not callable from outside
    decorators = {
        last_name(dotted(d.func if isinstance(d, ast.Call) else d) or "") for d in func.decorator_list
    }
    if "overload" in decorators:
        return []
    if isinstance(owner, ast.ClassDef) and owner.name.startswith("_"):
        return []
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    if isinstance(owner, ast.ClassDef) and "staticmethod" not in decorators:
        positional = positional[1:]  # self or cls
    parameters = [*positional, *args.kwonlyargs, *(a for a in (args.vararg, args.kwarg) if a is not None)]
    missing = [a.arg for a in parameters if a.annotation is None]
    if func.returns is None and name != "__init__":
        missing.append("return")
    return missing


def _finding(source: PySource, func: Function, parents: Parents | None, missing: list[str]) -> Finding:
    import ast

    owners = [p.name for p in parents or () if isinstance(p, ast.ClassDef)]
    qualified = ".".join([*reversed(owners), func.name])
    parameters = [m for m in missing if m != "return"]
    parts = [f"parameter{'s' if len(parameters) > 1 else ''} {', '.join(parameters)}"] if parameters else []
    parts += ["the return"] if "return" in missing else []
    return Finding(
        "DJG606",
        f"service function {qualified} has no type annotation for {' and '.join(parts)}",
        path=source.path,
        line=func.lineno,
        hint=f"annotate it: {signature(func, bool(owners))}",
    )


def signature(func: Function, method: bool) -> str:
    """The function's `def` line with `<type>` where an annotation is missing."""
    import ast

    args = func.args

    def one(arg: ast.arg, default: ast.expr | None, prefix: str = "", first: bool = False) -> str:
        text = prefix + arg.arg
        if arg.annotation is not None:
            text += f": {ast.unparse(arg.annotation)}"
        elif not (first and method):
            text += f": {PLACEHOLDER}"
        if default is not None:
            text += f" = {ast.unparse(default)}" if ":" in text else f"={ast.unparse(default)}"
        return text

    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + [*args.defaults]
    static = any(last_name(dotted(d) or "") == "staticmethod" for d in func.decorator_list)
    pairs = enumerate(zip(positional, defaults, strict=True))
    parts = [one(a, d, first=i == 0 and not static) for i, (a, d) in pairs]
    if args.posonlyargs:
        parts.insert(len(args.posonlyargs), "/")
    if args.vararg is not None:
        parts.append(one(args.vararg, None, "*"))
    elif args.kwonlyargs:
        parts.append("*")
    parts += [one(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    if args.kwarg is not None:
        parts.append(one(args.kwarg, None, "**"))
    returns = ast.unparse(func.returns) if func.returns is not None else PLACEHOLDER
    if func.name == "__init__" and func.returns is None:
        returns = "None"
    keyword = "async def" if isinstance(func, ast.AsyncFunctionDef) else "def"
    return f"{keyword} {func.name}({', '.join(parts)}) -> {returns}:"
