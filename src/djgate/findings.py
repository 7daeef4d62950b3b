"""What a rule reports."""

from __future__ import annotations

from typing import Literal, NamedTuple

Severity = Literal["error", "warning", "notice"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "notice")


class Finding(NamedTuple):  # a NamedTuple: cheaper to define than a dataclass, on every hook's path
    code: str
    message: str
    severity: Severity = "error"
    path: str | None = None
    line: int | None = None
    commit: str | None = None
    hint: str | None = None

    @property
    def blocking(self) -> bool:
        return self.severity == "error"

    def with_severity(self, severity: Severity) -> Finding:
        return self._replace(severity=severity)

    def with_commit(self, commit: str | None) -> Finding:
        return self._replace(commit=commit)
