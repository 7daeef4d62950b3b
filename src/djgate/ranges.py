"""Which commits a CI run judges: the range given, else what pre-commit, GitHub Actions or GitLab say."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from djgate.errors import DjgateError


def range_from_environment(env: Mapping[str, str], upstream: Callable[[], str | None]) -> str:
    """BASE..TIP from, in order: pre-commit's refs, a GitHub pull_request event, a GitLab merge request,
    the current branch's upstream."""
    if env.get("PRE_COMMIT_FROM_REF") and env.get("PRE_COMMIT_TO_REF"):
        return f"{env['PRE_COMMIT_FROM_REF']}..{env['PRE_COMMIT_TO_REF']}"
    if env.get("GITHUB_BASE_REF"):
        base, head = _pull_request_shas(env.get("GITHUB_EVENT_PATH"))
        if base and head:
            # The PR's own head, not the merge commit actions/checkout makes by default.
            return f"{base}..{head}"
        return f"origin/{env['GITHUB_BASE_REF']}..HEAD"
    if env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA"):
        tip = env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or env.get("CI_COMMIT_SHA") or "HEAD"
        return f"{env['CI_MERGE_REQUEST_DIFF_BASE_SHA']}..{tip}"
    branch_upstream = upstream()
    if branch_upstream:
        return f"{branch_upstream}..HEAD"
    raise DjgateError(
        "no range given and none found in the environment (pre-commit, GitHub Actions pull_request, "
        "GitLab merge request, or an upstream branch); pass BASE..TIP, e.g. origin/main..HEAD"
    )


def _pull_request_shas(path: str | None) -> tuple[str | None, str | None]:
    """pull_request.base.sha and .head.sha of the GitHub event file, when it has them."""
    if not path:
        return None, None
    try:
        with open(path, encoding="utf-8") as handle:
            event: Any = json.load(handle)
        base, head = event["pull_request"]["base"]["sha"], event["pull_request"]["head"]["sha"]
    except (OSError, ValueError, KeyError, TypeError):
        return None, None
    return (base, head) if isinstance(base, str) and isinstance(head, str) else (None, None)
