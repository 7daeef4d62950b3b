"""Governance overrides with an audit trail: a `Djgate-Allow: DJG201 <reason>` trailer in a commit message
turns that rule's findings on that commit into notices, and the summary lists who did it and why."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from djgate.config import Config
from djgate.findings import Finding

TRAILER = r"(?i)^djgate-allow:\s*(DJG\d{3})\b[\s:,-]*(.*)$"  # compiled on first use, by re


class Override(NamedTuple):
    code: str
    reason: str
    commit: str | None = None
    author: str | None = None


def parse_overrides(lines: Iterable[str]) -> list[Override]:
    """Overrides from the message's trailer lines; one without a reason does not count."""
    found = []
    for line in lines:
        match = re.match(TRAILER, line.strip())
        if match and match[2].strip():
            found.append(Override(match[1].upper(), match[2].strip()))
    return found


def apply_overrides(
    findings: list[Finding], overrides: list[Override], config: Config
) -> tuple[list[Finding], list[Override]]:
    """Findings with the overridden ones made notices, and the overrides that took effect."""
    by_code = {o.code: o for o in overrides}
    used: dict[str, Override] = {}
    out = []
    for finding in findings:
        override = by_code.get(finding.code)
        if override is None or finding.severity == "notice":
            out.append(finding)
        elif not config.overridable(finding.code):
            note = f"{finding.code} cannot be overridden here (allow_overrides in [tool.djgate])"
            out.append(finding._replace(hint="\n".join(filter(None, [finding.hint, note]))))
        else:
            used[finding.code] = override
            out.append(
                finding._replace(severity="notice", message=f"{finding.message} (allowed: {override.reason})")
            )
    return out, list(used.values())
