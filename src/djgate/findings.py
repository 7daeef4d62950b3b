"""What a rule reports."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warning", "notice"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "notice")


@dataclass(frozen=True)
class Finding:
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
        return replace(self, severity=severity)

    def with_commit(self, commit: str | None) -> Finding:
        return replace(self, commit=commit)
