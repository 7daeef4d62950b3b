"""DJG2xx: one Django app per commit, and the scope names that app."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from djgate.findings import Finding
from djgate.rules import Context, rule
from djgate.rules.message import generated, header_of, no_app_hint

LISTED_FILES = 8  # per app in a hint; the command still names every file


@rule(
    "DJG201",
    "multiple-apps",
    summary="The change touches files of more than one app.",
    why="""
        A commit per app keeps reviews small, makes reverts safe (reverting one app's change cannot
        break another's), and keeps each app's history readable with `git log -- <app>/`.
    """,
    fix="""
        Commit each app separately: unstage the other apps' files with the `git restore --staged`
        command djgate prints, commit, then stage and commit the rest. After `git commit -a` or
        `git commit -- <paths>` (git commits from an index of its own), djgate prints the
        `git commit -- <paths of one app>` that commits one app. Files every commit may touch
        (lock files, docs) go in `shared_paths`; extra paths of an app (templates, tests) in `apps`.
    """,
    bad="git add orders/models.py billing/models.py && git commit -m 'feat(orders): add refunds'",
    good="git add orders/models.py && git commit -m 'feat(orders): add refunds'",
)
def multiple_apps(context: Context) -> Iterator[Finding]:
    """The files a commit adds, changes, deletes or renames must belong to at most one Django app.
    Files outside every app (settings, urls of the project package) and `shared_paths` are neutral. The
    root commit, which starts the project with all its apps, is judged on its message only. Merges, and
    the reverts of merges git and GitHub write (`Revert "Merge ..."`), change a branch: not judged."""
    changeset = context.changeset
    if changeset.is_merge or not changeset.parents or generated(context):
        return
    groups = context.apps.group(changeset.paths())
    if len(groups) < 2:
        return
    header = header_of(context)
    keep = header.scope if header and header.scope in groups else max(groups, key=lambda a: len(groups[a]))
    listing = [f"{label}: {_listed(paths)}" for label, paths in groups.items()]
    others = [p for label, paths in groups.items() if label != keep for p in paths]
    if changeset.source == "staged" and changeset.temporary_index:
        command = "git commit -- " + " ".join(shlex.quote(p) for p in groups[keep])
        action = f"commit one app at a time; {keep} first: {command}"
    elif changeset.source == "staged":
        command = "git restore --staged -- " + " ".join(shlex.quote(p) for p in others)
        action = f"keep {keep}, unstage the rest: {command}"
    else:
        action = f"split the commit so that each touches one app (git rebase -i {changeset.short}~1)"
    yield Finding(
        "DJG201",
        f"the change touches {len(groups)} apps: {', '.join(groups)}",
        hint="\n".join([*listing, action]),
    )


def _listed(paths: list[str]) -> str:
    shown = ", ".join(paths[:LISTED_FILES])
    more = len(paths) - LISTED_FILES
    return f"{shown} and {more} more" if more > 0 else shown


@rule(
    "DJG202",
    "scope-mismatch",
    needs_message=True,
    summary="The scope does not name the app the change touches.",
    why="""
        A scope that names another app than the one changed sends reviewers and `git log` readers to
        the wrong place; a non-app scope (deps, ci) on app code hides an app change.
    """,
    fix="""
        Use the label of the app whose files the commit changes. A change that touches no app takes an
        `extra_scopes` scope (ci, deps, docs), or none.
    """,
    bad="git commit -m 'fix(orders): round totals'   # staged: billing/services.py",
    good="git commit -m 'fix(billing): round totals'  # staged: billing/services.py",
)
def scope_mismatch(context: Context) -> Iterator[Finding]:
    """When the scope is an app label, the change must touch that app's files (a change of project
    settings or CI files only touches no app); an `extra_scopes` scope may only be used on a change that
    touches no app files. A change of no file at all (an empty commit) is not judged."""
    header = header_of(context)
    changeset = context.changeset
    if header is None or not header.scope or changeset.is_merge or not changeset.files:
        return
    scope = header.scope.strip()
    touched = list(context.apps.group(changeset.paths()))
    if scope in touched:
        return
    if not touched:
        if scope in context.apps.labels:
            yield Finding(
                "DJG202",
                f"scope '{scope}' names an app the change does not touch; it touches no app",
                hint=no_app_hint(context, header.type, header.summary),
            )
        return
    suggestion = f"write: {header.type}({touched[0]}): {header.summary}" if len(touched) == 1 else None
    if scope in context.apps.labels:
        yield Finding(
            "DJG202",
            f"scope '{scope}' names an app the change does not touch; it touches {', '.join(touched)}",
            hint=suggestion,
        )
    elif scope in context.config.extra_scopes:
        yield Finding(
            "DJG202",
            f"scope '{scope}' is not an app, but the change touches app files of {', '.join(touched)}",
            hint=suggestion,
        )
