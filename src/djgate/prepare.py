"""prepare-commit-msg: pre-fill `<type>(<app>): ` when git opens its empty template."""

from __future__ import annotations

import re

from djgate.changeset import ChangeSet
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


def prefill(text: str, source: str | None, changeset: ChangeSet, apps: AppMap) -> str | None:
    """The message with a header prefix, or None to leave it as it is.

    Only git's own empty template is touched: never a message from -m/-F, a template file, a merge,
    a squash or an amend (git then names a source), nor one that already has text.
    """
    if source or changeset.is_merge:
        return None
    if not Message.from_text(text, changeset.comment_char).empty:
        return None
    paths = list(changeset.paths())
    touched = list(apps.group(paths))
    if len(touched) != 1:
        return None  # no single app to name: the author chooses
    header = f"{guess_type(paths)}({touched[0]}): "
    # Git's template starts with an empty line: the header fills it and the comments stay below.
    return header + text if text.startswith("\n") or not text else f"{header}\n{text}"
