"""The rule registry. Each family lives in its own module; `rules/scope.py` holds DJG2xx, and so on.

A rule is a function of a Context that yields Findings, registered with its public code and its doc.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

from djgate.changeset import ChangeSet
from djgate.config import Config
from djgate.findings import SEVERITIES, Finding, Severity
from djgate.message import Message
from djgate.project import AppMap

if TYPE_CHECKING:
    from djgate.analyses import Analyses
    from djgate.django.verdict import DjangoVerdict
    from djgate.pyversion import ProjectPython
    from djgate.rules.incremental import SpanCache
    from djgate.suppress import Suppressions

PathFacts = Callable[[Iterable[str]], set[str]]
Contents = Callable[[Iterable[str]], dict[str, bytes]]


T = TypeVar("T")


# NamedTuples, not dataclasses: every hook run defines these, and a dataclass costs a compile (and
# importing dataclasses and inspect) at import time.
class Context(NamedTuple):
    """Everything a rule may look at. Rules read it; they never touch git or the file system."""

    changeset: ChangeSet
    config: Config
    apps: AppMap
    message: Message | None = None
    existing_paths: PathFacts = lambda paths: set()  # which paths exist in the committed tree
    contents: Contents = lambda paths: {}  # the new content of changed files, by path (one git call)
    old_contents: Contents = lambda paths: {}  # the previous content of changed files, by previous path
    tree_contents: Contents = lambda dirs: {}  # every file under these directories in the judged tree
    django: Callable[[], DjangoVerdict | None] = lambda: None  # Django's verdict, asked on the first call
    path_contents: Contents = lambda paths: {}  # any file of the judged tree, changed or not (.gitignore)
    # Which paths the branch the change merges into already has (committed there; default: all of them).
    on_target: PathFacts = set
    python: Callable[[], ProjectPython | None] = lambda: None  # the project's interpreter, for new syntax
    # What the rules compute once for this ChangeSet and share (parsed sources, a function's facts,
    # the migration graph), owned by the door that judges it; None: nothing kept (a context made by hand).
    memo: dict[str, Any] | None = None
    # What is computed from a file's content, shared by every ChangeSet of the run (see djgate.analyses).
    analyses: Analyses | None = None
    # Where the top-level statements of contents parsed before are (rules.incremental); None: parse whole.
    spans: SpanCache | None = None

    def kept(self, key: str, make: Callable[[], T]) -> T:
        """The value `make` gives, computed once per memo (every time without one)."""
        if self.memo is None:
            return make()
        if key not in self.memo:
            self.memo[key] = make()
        return cast(T, self.memo[key])

    def analysed(self, kind: str, data: bytes, make: Callable[[], T]) -> T:
        """What `make` computes from this content (`kind` says which analysis, and names the path when the
        result depends on it), computed once per run while it is kept (every time without analyses)."""
        return make() if self.analyses is None else self.analyses.get(kind, data, make)


Check = Callable[[Context], Iterable[Finding]]
F = TypeVar("F", bound=Check)


class Rule(NamedTuple):
    code: str
    name: str
    family: str
    severity: Severity
    summary: str
    what: str
    why: str
    fix: str
    bad: str
    good: str
    needs_message: bool
    check: Check


RULES: dict[str, Rule] = {}


def rule(
    code: str,
    name: str,
    *,
    summary: str,
    why: str,
    fix: str,
    bad: str,
    good: str,
    severity: Severity = "error",
    needs_message: bool = False,
    family: str | None = None,
) -> Callable[[F], F]:
    """Register a rule; its docstring is the "what it checks" part of `djgate explain`."""

    def register(check: F) -> F:
        assert code not in RULES, f"duplicate rule code {code}"
        RULES[code] = Rule(
            code=code,
            name=name,
            family=family or check.__module__.rsplit(".", 1)[-1],
            severity=severity,
            summary=summary,
            what=cleandoc(check.__doc__ or summary),
            why=cleandoc(why),
            fix=cleandoc(fix),
            bad=cleandoc(bad),
            good=cleandoc(good),
            needs_message=needs_message,
            check=check,
        )
        return check

    return register


def cleandoc(doc: str) -> str:
    """inspect.cleandoc (without importing inspect on every hook's path): the first line stripped, the
    others dedented by their common indentation, blank lines at either end removed."""
    lines = doc.expandtabs().split("\n")
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    margin = min(indents, default=0)
    lines = [lines[0].lstrip(), *(line[margin:] for line in lines[1:])]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def run_rules(context: Context, families: Iterable[str]) -> Iterator[Finding]:
    """Run the enabled rules of the given families; their findings `settled`."""
    from djgate.suppress import Suppressions

    wanted = set(families)
    load_families(wanted)
    suppressions = Suppressions(context)
    for rule_ in sorted(RULES.values(), key=lambda r: r.code):
        if rule_.family not in wanted or not context.config.enabled(rule_.code):
            continue
        if rule_.needs_message and context.message is None:
            continue
        yield from settle(context, rule_.check(context), suppressions)
        trees = context.memo.get("pysource.trees") if context.memo is not None else None
        if trees is not None:
            trees.trim()  # between rules: the syntax trees past the ChangeSet's budget go (pysource.Trees)


def settle(
    context: Context, findings: Iterable[Finding], suppressions: Suppressions | None = None
) -> Iterator[Finding]:
    """The path every finding takes, whatever found it: disabled codes dropped, the configured severity
    applied, findings silenced by `per_path_ignores` or a `djgate: ignore[CODE]` comment on their line
    dropped, the commit named."""
    from djgate.suppress import Suppressions

    config = context.config
    suppressions = suppressions or Suppressions(context)
    for finding in findings:
        if not config.enabled(finding.code) or suppressions.hides(finding):
            continue
        severity = _severity(
            finding, RULES[finding.code], config.severity_for(finding.code, RULES[finding.code].severity)
        )
        yield finding.with_severity(severity).with_commit(context.changeset.commit)  # type: ignore[arg-type]


def _severity(finding: Finding, rule_: Rule, configured: str) -> str:
    """The configured severity; a finding its rule marks below the rule's own (a DJG401 keyword match in a
    test: a notice) stays at most that."""
    rank = SEVERITIES.index
    own = finding.severity
    if rank(own) > rank(rule_.severity) and rank(own) > rank(configured):
        return own
    return configured


# Family name -> module under djgate.rules. A door imports only the families it runs, so the commit-msg
# hook does not pay for the secrets or migration rules.
FAMILY_MODULES = {
    "message": "message",
    "scope": "scope",
    "migrations": "migrations",
    "secrets": "secrets",  # djgate: ignore[DJG401]
    "print": "prints",
    "workflow": "workflow",
}


def load_families(families: Iterable[str]) -> None:
    import importlib

    for family in families:
        if family in FAMILY_MODULES:
            importlib.import_module(f"djgate.rules.{FAMILY_MODULES[family]}")


def all_rules() -> dict[str, Rule]:
    """Every rule of every family, in code order."""
    load_families(FAMILY_MODULES)
    return dict(sorted(RULES.items()))


__all__ = [
    "FAMILY_MODULES",
    "RULES",
    "Context",
    "Rule",
    "all_rules",
    "load_families",
    "rule",
    "run_rules",
    "settle",
]
