"""DJG1xx: the commit message is `type(scope): summary`, with a scope that names an app (and, when the team
asks for one, a task reference)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from djgate.findings import Finding
from djgate.message import Header, Message
from djgate.rules import Context, rule

# A repository path cited in prose: has a `/`, ends in a file extension, may carry `:line[:col]`.
PATH_TOKEN = re.compile(
    r"(?<![\w/.:@~-])((?:\./)?(?:[\w@+-][\w.@+-]*/)+[\w@+-][\w.@+-]*\.[A-Za-z][A-Za-z0-9]{0,7})"
    r"(?::\d+(?::\d+)?)?(?![\w/])"
)


def judged(context: Context) -> Message | None:
    """The message, unless git or a forge wrote it or it is an autosquash commit meant to disappear (DJG108
    judges those in a range). A recorded merge commit with a message of its own is judged."""
    message, changeset = context.message, context.changeset
    if message is None or message.autosquash or generated(context):
        return None
    if changeset.merging or (changeset.is_merge and (changeset.source == "staged" or message.git_merge)):
        return None
    return message


def generated(context: Context) -> bool:
    """A message git or GitHub writes for a change that merges or unmerges a branch: the revert of a merge
    (`git revert -m 1`, GitHub's Revert button) or, when configured, GitHub's squash `Title (#123)`. Neither
    the message nor the scope rules judge it: its scope is a whole branch's, like a merge's."""
    message = context.message
    if message is None:
        return False
    if message.reverts_merge:
        return True
    return context.config.github_squash and message.github_squash and message.parsed() is None


def header_of(context: Context) -> Header | None:
    message = judged(context)
    return message.parsed() if message is not None else None


def touched_apps(context: Context) -> list[str]:
    return list(context.apps.group(context.changeset.paths()))


def no_app_hint(context: Context, type_: str, summary: str) -> str:
    """What to write on a change that touches no app: no scope, or an `extra_scopes` entry."""
    extra = context.config.extra_scopes
    if context.config.require_scope == "always":
        if extra:
            return f"write: {type_}(<scope>): {summary}, with one of the extra_scopes: {', '.join(extra)}"
        return 'no app is touched: list scopes such as "ci" in [tool.djgate] extra_scopes, and use one'
    also = f", or one of the extra_scopes: {', '.join(extra)}" if extra else ""
    return f"write: {type_}: {summary} (no scope{also})"


def example_header(context: Context, type_: str = "feat", summary: str = "<what it does>") -> str:
    apps = touched_apps(context)
    scope = apps[0] if len(apps) == 1 else "<app>"
    return f"{type_}({scope}): {summary}"


def closest(word: str, choices: list[str]) -> str | None:
    import difflib

    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return match[0] if match else None


@rule(
    "DJG101",
    "header-format",
    needs_message=True,
    summary="Header is not `type(scope): summary`.",
    why="""
        One shape for every header lets the history be read, searched and turned into a changelog, and
        lets djgate check the scope against the files the commit touches.
    """,
    fix="""
        Write the first line as `type(scope): summary`, with `!` before the colon for a breaking change
        (`feat(orders)!: drop the v1 API`). One space follows the colon.
    """,
    bad="Added refund endpoint",
    good="feat(orders): add refund endpoint",
)
def header_format(context: Context) -> Iterator[Finding]:
    """The first line of the message must be `type(scope): summary` or `type(scope)!: summary`. A near
    miss gets its repair as the hint (`feat(orders) add x` -> `feat(orders): add x`)."""
    message = judged(context)
    if message is None:
        return
    if message.empty:
        yield Finding("DJG101", "the commit message is empty", hint=f"write: {example_header(context)}")
    elif message.parsed() is None:
        header = message.effective_header
        repaired = repaired_header(header)
        hint = f"write: {repaired or example_header(context, summary=header)}"
        if re.match(r"[A-Za-z]+(\([^()]*\))?!?:\S", header):
            hint = "put one space after the colon; " + hint
        yield Finding("DJG101", f"header '{header}' is not `type(scope): summary`", hint=hint)


def repaired_header(header: str) -> str | None:
    """A header that is nearly `type(scope): summary`, made one: the colon and its one space put back
    (`feat(orders) add x`, `feat(orders):add x`), a final period dropped. None when it is not nearly one."""
    match = re.match(REPAIRABLE, header)
    if match is None or not (match["scope"] or match["colon"]):
        return None
    summary = match["summary"].strip()
    if summary.endswith(".") and not summary.endswith("..."):
        summary = summary.rstrip(".").rstrip()
    return f"{match['type']}{match['scope'] or ''}{match['bang'] or ''}: {summary or '<what it does>'}"


# A header with a type, maybe a scope and `!`, then the colon missing or not followed by one space.
REPAIRABLE = (
    r"(?s)(?P<type>[A-Za-z][\w-]*)[^\S\n]*(?P<scope>\([^()]*\))?(?P<bang>!)?[^\S\n]*(?P<colon>:)?"
    r"[^\S\n]*(?P<summary>.*)\Z"
)


@rule(
    "DJG102",
    "unknown-type",
    needs_message=True,
    summary="Type is not one of the configured `types`.",
    why="A closed list of types keeps the history searchable and changelog tools working.",
    fix="Use one of the configured types (`[tool.djgate] types`), or add yours there.",
    bad="feature(orders): add refund endpoint",
    good="feat(orders): add refund endpoint",
)
def unknown_type(context: Context) -> Iterator[Finding]:
    """The type must be one of `[tool.djgate] types` (feat, fix, refactor, ... by default)."""
    header = header_of(context)
    types = list(context.config.types)
    if header is None or header.type in types:
        return
    guess = closest(header.type, types)
    hint = f"did you mean `{guess}`?" if guess else f"use one of: {', '.join(types)}"
    yield Finding("DJG102", f"type '{header.type}' is not one of the configured types", hint=hint)


@rule(
    "DJG103",
    "missing-scope",
    needs_message=True,
    summary="Header has no scope, and the change touches an app.",
    why="""
        The scope says which Django app the commit changes; reviewers and `git log -- <app>` rely on it,
        and djgate checks it against the files.
    """,
    fix="""
        Put the app label in parentheses after the type. A change that touches no app (CI, tooling,
        project settings) needs no scope; teams that want one there set `require_scope = "always"` and
        list such scopes in `extra_scopes`.
    """,
    bad="feat: add refund endpoint",
    good="feat(orders): add refund endpoint",
)
def missing_scope(context: Context) -> Iterator[Finding]:
    """The header must name a scope in parentheses when the change touches an app's files (or no file at
    all, as an empty commit): the app it changes. With `require_scope = "always"`, every header must (an
    `extra_scopes` entry where no app is touched)."""
    header = header_of(context)
    if header is None or (header.scope or "").strip():
        return
    summary = header.summary or "<what it does>"
    if touched_apps(context) or not context.changeset.files:  # no file at all: nothing says no app
        hint = f"write: {example_header(context, header.type, summary)}"
    elif context.config.require_scope == "always":
        hint = no_app_hint(context, header.type, summary)
    else:
        return
    yield Finding("DJG103", "the header has no scope", hint=hint)


@rule(
    "DJG104",
    "unknown-scope",
    needs_message=True,
    summary="Scope is neither an app label nor an `extra_scopes` entry.",
    why="A scope nobody can map to an app defeats the point of scoping commits by app.",
    fix="""
        Use the label of the app the commit changes (`djgate` reads it from each app's apps.py), or add
        scopes that are not apps (deps, ci, docs) to `[tool.djgate] extra_scopes`: the hint prints the
        line, e.g. `extra_scopes = ["ci"]` under `[tool.djgate]` in pyproject.toml.
    """,
    bad="feat(order): add refund endpoint",
    good="feat(orders): add refund endpoint",
)
def unknown_scope(context: Context) -> Iterator[Finding]:
    """The scope must be an app label discovered in the repository, or listed in `extra_scopes`."""
    header = header_of(context)
    if header is None or not (scope := (header.scope or "").strip()):
        return
    known = sorted(context.apps.labels | set(context.config.extra_scopes))
    if scope in known:
        return
    apps = touched_apps(context)
    guess = apps[0] if len(apps) == 1 else closest(scope, known)
    if guess:
        hint = f"did you mean `{header.type}({guess})`?"
    else:
        found = f"known scopes: {', '.join(known)}" if known else "no Django app found"
        hint = f"{found}; to allow '{scope}', {extra_scope_line(context, scope)}"
    yield Finding("DJG104", f"scope '{scope}' is not an app label or an extra scope", hint=hint)


def extra_scope_line(context: Context, scope: str) -> str:
    """Where to add a scope that is not an app, as the exact line (with the scopes already listed)."""
    import json

    line = f"extra_scopes = {json.dumps([*context.config.extra_scopes, scope])}"
    source = context.config.source
    if source != "defaults" and "pyproject.toml" not in source:  # a --config file of its own
        return f"set in {source}: {line}"
    if context.config.extra_scopes:
        return f"change the line in [tool.djgate] of pyproject.toml to: {line}"
    return f"add under [tool.djgate] in pyproject.toml (create the file or the table if missing): {line}"


@rule(
    "DJG105",
    "summary-style",
    needs_message=True,
    summary="Summary empty, header too long, or summary ends with a period.",
    why="""
        Headers are read in one-line logs, PR titles and e-mail subjects: they must fit (72 characters by
        default) and read as a title.
    """,
    fix="Write a short imperative summary without a final period; put details in the body.",
    bad="fix(orders): Fixed the bug where refunds of partially shipped orders were computed twice.",
    good="fix(orders): compute partial refunds once",
)
def summary_style(context: Context) -> Iterator[Finding]:
    """The summary must not be empty or end with a period, and the header must fit `max_header_length`."""
    message = judged(context)
    header = message.parsed() if message is not None else None
    if message is None or header is None:
        return
    limit = context.config.max_header_length
    if not header.summary.strip():
        yield Finding("DJG105", "the summary after the colon is empty", hint="say what the commit does")
    elif header.summary.endswith(".") and not header.summary.endswith("..."):
        yield Finding("DJG105", "the summary ends with a period", hint="drop the final period")
    if message.reverted_header is None and len(message.header) > limit:
        yield Finding(
            "DJG105",
            f"the header is {len(message.header)} characters long, more than {limit}",
            hint="shorten the summary; details go in the body, after a blank line",
        )


@rule(
    "DJG106",
    "body-separation",
    needs_message=True,
    summary="No blank line between header and body.",
    why="Git and every tool built on it take everything up to the first blank line as the subject.",
    fix="Leave the second line of the message empty.",
    bad="feat(orders): add refund endpoint\nRefunds go through the payment provider.",
    good="feat(orders): add refund endpoint\n\nRefunds go through the payment provider.",
)
def body_separation(context: Context) -> Iterator[Finding]:
    """The second line of the message, when there is one, must be blank."""
    message = judged(context)
    if message is not None and len(message.lines) > 1 and message.lines[1].strip():
        yield Finding(
            "DJG106",
            "no blank line between the header and the body",
            hint="leave the second line of the message empty",
        )


def cited_paths(message: Message) -> list[str]:
    """Repository paths the body cites: tokens with a `/` and a file extension; not URLs or domains."""
    found: list[str] = []
    for line in message.body_lines:
        for match in PATH_TOKEN.finditer(line):
            path = match[1].removeprefix("./")
            first = path.split("/", 1)[0]
            if "." in first:  # example.com/x.html, a domain rather than a directory
                continue
            found.append(posixpath.normpath(path))
    return list(dict.fromkeys(found))


@rule(
    "DJG107",
    "cited-path-missing",
    needs_message=True,
    severity="warning",
    summary="Body cites a repository path that does not exist.",
    why="""
        A message that points at files that are not there misleads the next reader; it is the usual
        sign of a message written from memory, or generated, rather than from the change.
    """,
    fix="Correct the path, or drop it from the message.",
    bad="fix(orders): round refunds\n\nThe rounding lives in orders/refunds.py now.",
    good="fix(orders): round refunds\n\nThe rounding lives in orders/services.py now.",
)
def cited_path_missing(context: Context) -> Iterator[Finding]:
    """Each path cited in the body (`orders/services.py`, `src/x/y.py:12`) must exist in the committed
    tree or in the change. URLs and dotted module names are not paths."""
    message = judged(context)
    if message is None:
        return
    cited = cited_paths(message)
    if not cited:
        return
    known = set(context.changeset.paths()) | context.existing_paths(cited)
    for path in cited:
        if path not in known:
            yield Finding(
                "DJG107",
                f"the body cites '{path}', which is not in the repository",
                hint="correct the path or remove it",
            )


@rule(
    "DJG108",
    "unsquashed-commit",
    needs_message=True,
    summary="A fixup!, squash!, amend! or WIP commit is about to be merged (range only).",
    why="""
        Autosquash and work-in-progress commits are meant to disappear before a branch is merged; merged,
        they leave history that says nothing and break `git bisect` and `git revert` by app.
    """,
    fix="Squash them into the commits they fix: `git rebase -i --autosquash <base>`, then force-push.",
    bad="fixup! feat(orders): add refund endpoint",
    good="feat(orders): add refund endpoint   # the fixup squashed into it",
)
def unsquashed_commit(context: Context) -> Iterator[Finding]:
    """In a range (`djgate check-range`), no commit may be a `fixup!`, `squash!`, `amend!` or WIP commit.
    Locally these pass: they are how such commits are made."""
    message = context.message
    if context.changeset.source != "commit" or message is None:
        return
    if message.autosquash or message.wip:
        kind = message.header.split("!", 1)[0] + "!" if message.autosquash else "WIP"
        yield Finding(
            "DJG108",
            f"{kind} commit '{message.header}' must be squashed before merging",
            hint="git rebase -i --autosquash <base>",
        )


REFERENCE_TRAILER = "Refs"
EXAMPLE_REFERENCES = ("SHOP-123", "ADR-12", "#123", "123", "PROJ-123", "AB#123")  # one may match the pattern


def trailer_lines(message: Message) -> list[str]:
    """The lines of the last paragraph of the body: where git (`interpret-trailers`) reads trailers."""
    body = list(message.body_lines)
    blank = max((i for i, line in enumerate(body) if not line.strip()), default=None)
    return [] if blank is None else body[blank + 1 :]


def reference_places(message: Message) -> dict[str, list[str]]:
    """The text DJG109 searches for each `where`: the header, the body, the values of `Refs:` trailers."""
    refs = [
        value
        for line in trailer_lines(message)
        if (match := re.match(rf"(?i){REFERENCE_TRAILER}\s*:\s*(.*)", line)) and (value := match[1])
    ]
    body = list(message.body_lines)
    return {"header": [message.header], "body": body, "trailer": refs, "any": [message.header, *body]}


def example_reference(pattern: str) -> str:
    return next((r for r in EXAMPLE_REFERENCES if re.fullmatch(pattern, r)), "<reference>")


@rule(
    "DJG109",
    "missing-reference",
    needs_message=True,
    summary="The message carries no task reference (SHOP-123, ADR-12, #123) where `reference` asks for one.",
    why="""
        The task or decision record a change answers is how a reviewer, an auditor or the next developer
        finds out why it was made; `git log` and `git blame` lead to it only when every commit names it.
    """,
    fix="""
        Name the task in the message, where the team's `reference = {pattern = ..., where = ...}` in
        [tool.djgate] says: in the header (`where = "header"`), anywhere in the body (`"body"`), in a
        `Refs: SHOP-123` trailer, the last paragraph of the body (`"trailer"`), or anywhere (`"any"`, the
        default). `djgate prepare-msg` (the prepare-commit-msg hook) pre-fills the reference a branch name
        carries (`feature/SHOP-123-refunds`). Off until `reference` is set; merges, reverts, fixup!/squash!
        commits and git's own messages are exempt.
    """,
    bad="feat(orders): add refunds",
    good="feat(orders): add refunds\n\nRefunds go through the payment provider.\n\nRefs: SHOP-123",
)
def missing_reference(context: Context) -> Iterator[Finding]:
    """When `reference` is configured, the message carries a match of its `pattern` in the place its
    `where` names: the header, the body (any line after the header), a `Refs:` trailer (in the last
    paragraph, as git reads trailers), or any of them. Merges, git's reverts and autosquash commits are
    exempt, and so are `revert` commits."""
    reference, message = context.config.reference, judged(context)
    if reference is None or message is None or message.empty or message.reverted_header is not None:
        return
    header = message.parsed()
    if header is not None and header.type == "revert":
        return  # a revert names the commit it undoes, which named the task
    if any(re.search(reference.pattern, text) for text in reference_places(message)[reference.where]):
        return
    example = example_reference(reference.pattern)
    written = message.header if header is not None else example_header(context)
    hint = {
        "header": f"name it in the header: {written} ({example})",
        "body": f"name it in the body, after a blank line: {example}",
    }.get(
        reference.where, f"end the message with a trailer, after a blank line: {REFERENCE_TRAILER}: {example}"
    )
    place = {"any": "", "trailer": f" in a {REFERENCE_TRAILER}: trailer"}.get(
        reference.where, f" in the {reference.where}"
    )
    yield Finding(
        "DJG109",
        f"the message names no task reference{place} (matching `{reference.pattern}`)",
        hint=hint,
    )


@rule(
    "DJG110",
    "config-changed",
    severity="notice",
    summary="The change edits djgate's own configuration ([tool.djgate] in pyproject.toml).",
    why="""
        The configuration decides what the gates judge: `ignore = ["DJG"]` turns them all off. In CI the
        branch under review is judged with its target branch's configuration, never its own, so a change
        to it takes effect once merged; reviewers should see it as such.
    """,
    fix="""
        Nothing to fix when the change is meant: it is reported so that a reviewer sees it. Teams that want
        such changes refused unless reviewed apart make it an error: `severity = {DJG110 = "error"}`.
    """,
    bad='[tool.djgate]\nignore = ["DJG4"]   # added in a feature branch',
    good="a commit of its own, `ci(config): ...`, reviewed as a change to the gates",
)
def config_changed(context: Context) -> Iterator[Finding]:
    """A change to the `[tool.djgate]` table of the root pyproject.toml is reported with the keys it adds,
    removes or changes (a notice by default). `check-range` judges a range with the configuration of its
    base, so that the branch under review cannot weaken the gates that judge it."""
    from djgate.config import djgate_table
    from djgate.errors import DjgateError

    change = next((f for f in context.changeset.files if PYPROJECT in f.paths), None)
    if change is None:
        return
    new = context.contents([PYPROJECT]).get(PYPROJECT) if change.path == PYPROJECT else None
    old = context.old_contents([PYPROJECT]).get(PYPROJECT) if change.status != "A" else None
    try:
        before = djgate_table(old, PYPROJECT) or {} if old is not None else {}
        after = djgate_table(new, PYPROJECT) or {} if new is not None else {}
    except DjgateError:
        return  # not valid TOML: the run's configuration already failed, or another commit fixes it
    keys = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if keys:
        yield Finding(
            "DJG110",
            f"the change edits [tool.djgate]: {', '.join(keys)}",
            path=PYPROJECT,
            hint="in CI the range is judged with its base's configuration; this takes effect once merged",
        )


PYPROJECT = "pyproject.toml"
