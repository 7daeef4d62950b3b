"""Findings a team has silenced, for every rule that reports a path: `per_path_ignores` in the configuration,
and `djgate: ignore[DJG501]` (one or more codes or prefixes, comma-separated) in a comment on the finding's
line, whatever the comment syntax of the file (`#`, `//`, `<!-- -->`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from djgate.changeset import lines_by_number
from djgate.findings import Finding
from djgate.globs import GlobSet

if TYPE_CHECKING:
    from collections.abc import Mapping

    from djgate.rules import Context

IGNORE_COMMENT = r"(?i)djgate:\s*ignore\[([^\]\n]*)\]"  # compiled on first use, by re


def ignored_codes(line: str) -> tuple[str, ...]:
    """The codes a `djgate: ignore[...]` comment on this line names (upper-cased)."""
    if "djgate" not in line:  # the cheap test first: most lines say nothing
        return ()
    return tuple(
        code.strip().upper() for match in re.finditer(IGNORE_COMMENT, line) for code in match[1].split(",")
    )


def _names(code: str, codes: tuple[str, ...]) -> bool:
    return any(c and code.startswith(c) for c in codes)


class Suppressions:
    """Did the team silence this finding? For one Context, reading each file's lines at most once."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.by_path = [(GlobSet([glob]), codes) for glob, codes in context.config.per_path_ignores.items()]
        self._lines: dict[str, Mapping[int, str]] = {}  # path -> the added lines, by number
        self._read: dict[str, list[str]] = {}

    def hides(self, finding: Finding) -> bool:
        path = finding.path
        if path is None:
            return False
        if any(globs.match(path) and _names(finding.code, codes) for globs, codes in self.by_path):
            return True
        if finding.line is None:
            return False
        return _names(finding.code, ignored_codes(self.line(path, finding.line)))

    def line(self, path: str, number: int) -> str:
        """The text of a line of the new version of a file: from the diff when the change adds it (no git
        call), else from the file's content."""
        if path not in self._lines:
            change = next((f for f in self.context.changeset.files if f.path == path), None)
            self._lines[path] = lines_by_number(change.added) if change else {}
        text = self._lines[path].get(number)
        if text is None:
            if path not in self._read:  # a file of the change, else any file of the judged tree
                data = self.context.contents([path]).get(path) or self.context.path_contents([path]).get(
                    path, b""
                )
                self._read[path] = data.decode("utf-8", "replace").split("\n")
            lines = self._read[path]
            text = lines[number - 1] if 0 < number <= len(lines) else ""
        return text
