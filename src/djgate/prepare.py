"""prepare-commit-msg: pre-fill `<type>(<app>): ` (and the branch's task reference, for DJG109) when git opens
its empty template."""

from __future__ import annotations

import re

from djgate.changeset import ChangeSet
from djgate.config import Reference
from djgate.message import Message
from djgate.project import AppMap

TEST_FILE = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_tests?\.py$|tests\.py$|conftest\.py$)")
DOC_FILE = re.compile(r"(^|/)docs?/|\.(md|rst|txt)$")


def guess_type(paths: list[str]) -> str:
    if paths and all(TEST_FILE.search(p) for p in paths):
        return "test"
    if paths and all(DOC_FILE.search(p) for p in paths):
        return "docs"
    return "feat"


def branch_reference(branch: str | None, reference: Reference | None) -> str | None:
    """The task reference a branch name carries (`feature/SHOP-123-refunds` -> SHOP-123), by the configured
    pattern; None when there is none, or no reference is asked for."""
    if branch is None or reference is None:
        return None
    match = re.search(reference.pattern, branch)
    return match[0] if match and match[0] else None


def prefill(
    text: str,
    source: str | None,
    changeset: ChangeSet,
    apps: AppMap,
    reference: Reference | None = None,
    branch: str | None = None,
) -> str | None:
    """The message with a header prefix, and the branch's task reference where DJG109 looks for it, or None
    to leave it as it is.

    Only git's own empty template is touched: never a message from -m/-F, a template file, a merge,
    a squash or an amend (git then names a source), nor one that already has text.
    """
    if source or changeset.is_merge:
        return None
    if not Message.from_text(text, changeset.comment_char).empty:
        return None
    paths = list(changeset.paths())
    touched = list(apps.group(paths))
    task = branch_reference(branch, reference)
    header = f"{guess_type(paths)}({touched[0]}): " if len(touched) == 1 else ""  # else the author chooses
    trailer = ""
    if task and reference and reference.where == "header":
        header += f"{task} " if header else ""  # no header to put it in: left to the author
    elif task:
        trailer = f"\n\nRefs: {task}"  # a `Refs:` trailer satisfies body, trailer and any alike
    if not header and not trailer:
        return None
    # Git's template starts with an empty line: the header fills it and the comments stay below.
    if text.startswith("\n") or not text:
        return header + trailer + (text if text or not trailer else "\n")
    return f"{header}{trailer}\n{text}"
