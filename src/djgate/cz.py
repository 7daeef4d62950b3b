"""The commitizen plugin `cz_djgate`: `cz commit` offers the repository's app labels as scopes and pre-selects
the app of the staged files; `cz check` accepts what djgate's message rules accept.

Only commitizen imports this module (through the `commitizen.plugin` entry point): djgate itself never
imports commitizen, which is an optional dependency (`pip install 'djgate[commitizen]'`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from commitizen.cz.conventional_commits.conventional_commits import ConventionalCommitsCz
from commitizen.cz.exceptions import AnswerRequiredError
from commitizen.cz.utils import multiple_line_breaker, required_validator
from commitizen.exceptions import InvalidConfigurationError

from djgate.config import Config, Reference
from djgate.errors import DjgateError

if TYPE_CHECKING:
    from commitizen.question import CzQuestion

    from djgate.project import AppMap

TYPE_HELP = {
    "feat": "a new feature",
    "fix": "a bug fix",
    "refactor": "a change that neither fixes a bug nor adds a feature",
    "perf": "a change that makes it faster",
    "test": "tests only",
    "docs": "documentation only",
    "style": "formatting, no change of meaning",
    "build": "the build system or dependencies",
    "ci": "the CI configuration",
    "chore": "maintenance",
    "revert": "undo an earlier commit",
}


@dataclass(frozen=True)
class Project:
    """What the questions and the schema need from the repository the command runs in."""

    config: Config
    labels: tuple[str, ...]  # the Django app labels; empty outside a repository
    staged_apps: tuple[str, ...]  # the apps the staged files belong to
    staged_paths: tuple[str, ...]
    in_repository: bool
    branch: str | None = None  # the current branch, whose name may carry the task reference
    apps: AppMap | None = None  # the repository's apps, for djgate's own findings on a refused message

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.labels, *self.config.extra_scopes)))


def read_project() -> Project:
    """The repository at the current directory, read with djgate's own engine (the index, as the hooks do)."""
    from djgate.config import load_config
    from djgate.gitrepo import GitRepo
    from djgate.project import AppMap

    try:
        repo = GitRepo.discover()
    except DjgateError:
        return Project(Config(), (), (), (), in_repository=False)
    config = load_config(repo.root)
    apps = AppMap.of(repo, config)
    paths = tuple(repo.staged(lines=False).paths())
    branch = repo.branch() if config.reference is not None else None
    labels, staged_apps = tuple(sorted(apps.labels)), tuple(apps.group(paths))
    return Project(config, labels, staged_apps, paths, in_repository=True, branch=branch, apps=apps)


def reference_lookahead(reference: Reference | None) -> str:
    """A lookahead that accepts a message when DJG109 does: the pattern where `where` says (its `.` kept to
    one line), or a `revert` header, which DJG109 exempts."""
    if reference is None:
        return ""
    found = f"(?-s:[^\\n]*?(?:{reference.pattern}))"
    place = {
        "header": found,
        "body": rf"[^\n]*\n(?:[^\n]*\n)*?{found}",
        "trailer": rf".*\n\n(?:[^\n]+\n)*?(?i:refs)[^\S\n]*:{found}[^\n]*(?:\n[^\n]+)*\n*\Z",
        "any": rf"(?:[^\n]*\n)*?{found}",
    }[reference.where]
    return rf"(?:(?=revert[(!:])|(?={place}))"


def header_schema_pattern(
    types: Sequence[str],
    scopes: Sequence[str] | None,
    max_header_length: int,
    reference: Reference | None = None,
    scope_optional: bool = False,
) -> str:
    """A regex that accepts a message when djgate's message rules do (DJG101-DJG106; the scope must be one of
    `scopes`, or any when None; `scope_optional`: or none, DJG103 on a change touching no app). One regex
    because that is what `cz check` matches messages against."""

    def one_of(words: Sequence[str]) -> str:
        return "|".join(re.escape(w) for w in words) or "(?!)"  # nothing allowed: match nothing

    scope = r"[^()\n]*[^()\s][^()\n]*" if scopes is None else f"[^\\S\\n]*(?:{one_of(scopes)})[^\\S\\n]*"
    return (
        r"(?s)"
        rf"(?=[^\n]{{0,{max_header_length}}}[^\S\n]*(?:\n|\Z))"  # DJG105: the header fits
        f"{reference_lookahead(reference)}"  # DJG109, when a reference is asked for
        rf"(?:{one_of(types)})"  # DJG102
        rf"(?:\((?:{scope})\)){'?' if scope_optional else ''}!?: "  # DJG101, DJG103, DJG104
        r"[^\n]*(?:[^\s.]|\.\.\.)[^\S\n]*"  # DJG105: a summary, without a final period
        r"(?:\n[^\S\n]*(?:\n.*)?)?\Z"  # DJG106: a blank line between header and body
    )


def clean_summary(text: str) -> str:
    summary = text.strip()
    if summary.endswith(".") and not summary.endswith("..."):
        summary = summary.rstrip(".").rstrip()
    return required_validator(summary, msg="The summary is required.")


def with_default(question: dict[str, Any], value: str | None) -> dict[str, Any]:
    """Pre-select the choice whose value is `value`. With dict choices questionary wants the choice itself
    as the default (it compares a plain value only with its own Choice objects)."""
    choice = next((c for c in question["choices"] if c["value"] == value), None)
    return {**question, "default": choice} if choice is not None else question


class DjgateCz(ConventionalCommitsCz):
    """Conventional commits whose scope is the Django app the commit changes (bump and changelog as in
    `cz_conventional_commits`)."""

    @cached_property
    def project(self) -> Project:
        try:
            return read_project()
        except DjgateError as exc:  # a broken [tool.djgate]: commitizen prints it without a traceback
            raise InvalidConfigurationError(f"djgate: {exc}") from None

    def questions(self) -> list[CzQuestion]:
        from djgate.prepare import guess_type

        project = self.project
        type_choices = [
            {"value": t, "name": f"{t}: {TYPE_HELP[t]}" if t in TYPE_HELP else t}
            for t in project.config.types
        ]
        questions: list[dict[str, Any]] = [
            with_default(
                {"type": "list", "name": "prefix", "message": "Type of change", "choices": type_choices},
                guess_type(list(project.staged_paths)),  # as prepare-msg guesses it
            ),
            self._scope_question(project),
            {
                "type": "input",
                "name": "subject",
                "message": "Summary (imperative, lower case, no final period):\n",
                "filter": clean_summary,
            },
            *self._reference_question(project),
            {
                "type": "input",
                "name": "body",
                "message": "Body: why the change (`|` starts a new line; [enter] to skip):\n",
                "filter": multiple_line_breaker,
            },
            {
                "type": "confirm",
                "name": "is_breaking_change",
                "message": "Is this a breaking change (`!` after the scope)?",
                "default": False,
            },
        ]
        return cast("list[CzQuestion]", questions)

    def _scope_question(self, project: Project) -> dict[str, Any]:
        if not project.scopes:  # no app found and no extra scope configured: let the author type one
            return {
                "type": "input",
                "name": "scope",
                "message": "Scope (no Django app found; list extra scopes in [tool.djgate] extra_scopes):\n",
                "filter": lambda text: required_validator(text.strip(), msg="The scope is required."),
            }
        message = "Scope: the app this commit changes"
        if len(project.staged_apps) > 1:
            message += f" (the staged files touch {', '.join(project.staged_apps)}: split the commit)"
        choices = [
            {"value": s, "name": s if s in project.labels else f"{s} (not an app)"} for s in project.scopes
        ]
        question = {"type": "list", "name": "scope", "message": message, "choices": choices}
        return with_default(question, project.staged_apps[0] if len(project.staged_apps) == 1 else None)

    def _reference_question(self, project: Project) -> list[dict[str, Any]]:
        """DJG109's task reference, when asked for: pre-filled from the branch name, as prepare-msg does."""
        from djgate.prepare import branch_reference

        reference = project.config.reference
        if reference is None:
            return []

        def matching(text: str) -> str:
            found = re.search(reference.pattern, text.strip())
            if found is None or not found[0]:
                raise AnswerRequiredError(f"The task reference must match {reference.pattern}.")
            return text.strip()

        question = {"type": "input", "name": "reference", "message": "Task reference:\n", "filter": matching}
        default = branch_reference(project.branch, reference)
        return [{**question, "default": default} if default else question]

    def message(self, answers: Mapping[str, Any]) -> str:
        bang = "!" if answers.get("is_breaking_change") else ""
        task, reference = (
            answers.get("reference"),
            self.project.config.reference if "reference" in answers else None,
        )
        summary = (
            f"{task} {answers['subject']}" if task and reference and reference.where == "header" else None
        )
        header = f"{answers['prefix']}({answers['scope']}){bang}: {summary or answers['subject']}"
        body = answers.get("body") or ""
        if task and summary is None:
            body = f"{body}\n\nRefs: {task}" if body else f"Refs: {task}"  # a trailer: any `where` but header
        return f"{header}\n\n{body}" if body else header

    def schema_pattern(self) -> str:
        project = self.project
        scopes = project.scopes if project.in_repository else None
        config = project.config
        optional = config.require_scope == "apps" and bool(project.staged_paths) and not project.staged_apps
        return header_schema_pattern(
            config.types, scopes, config.max_header_length, config.reference, optional
        )

    def validate_commit_message(self, **kwargs: Any) -> Any:
        """`cz check`: commitizen's verdict (the schema pattern, which agrees with djgate's rules), told with
        djgate's own findings and hints rather than the pattern's 400 characters."""
        result = super().validate_commit_message(**kwargs)
        if result.is_valid:
            return result
        said = self.findings_for(str(kwargs.get("commit_msg", "")))
        return result._replace(errors=said) if said else result

    def findings_for(self, text: str) -> list[str]:
        """djgate's message rules on a message, as `cz check` prints them: code, message, hint."""
        from djgate.changeset import ChangeSet
        from djgate.message import Message
        from djgate.project import AppMap
        from djgate.rules import Context, run_rules

        project = self.project
        apps = project.apps or AppMap([], project.config)
        changeset = ChangeSet(files=(), source="commit", message=text, comment_char="")
        context = Context(changeset, project.config, apps, Message.from_text(text, ""))
        return [
            f"{f.code} {f.message}" + (f"\n  {f.hint}" if f.hint else "")
            for f in run_rules(context, ("message",))
            if f.blocking
        ]

    def example(self) -> str:
        types, scopes = self.project.config.types, self.project.scopes
        type_ = "feat" if "feat" in types else types[0]
        return (
            f"{type_}({scopes[0] if scopes else 'orders'}): add a refund endpoint\n\n"
            "Refunds go through the payment provider, so a partial refund needs no manual step."
        )

    def schema(self) -> str:
        return "<type>(<scope>)!: <summary>\n<BLANK LINE>\n<body>"

    def info(self) -> str:
        project = self.project
        scopes = ", ".join(project.scopes) or "none found (add some to [tool.djgate] extra_scopes)"
        return (
            "cz_djgate: conventional commits scoped to the Django app they change, checked by djgate.\n\n"
            f"{self.schema()}\n\n"
            f"type: one of {', '.join(project.config.types)}\n"
            f"scope: required, an app label or an extra scope: {scopes}\n"
            "`!` marks a breaking change. The summary is not empty and has no final period.\n"
            f"The header fits in {project.config.max_header_length} characters; a blank line follows it.\n"
            "`djgate explain DJG101` tells a rule (DJG101-DJG107); djgate also checks that the scope is\n"
            "the app of the files the commit changes (DJG201, DJG202)."
        )
