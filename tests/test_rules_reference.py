"""DJG109 task reference, through the commit-msg door on a real repository: off until `reference` is set,
then the message names a task where the team's `where` says."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Repo, write_msg

PATTERN = r"[A-Z]+-\\d+|ADR-\\d+|#\\d+"  # as written in TOML


def configure(shop: Repo, where: str | None) -> None:
    place = f', where = "{where}"' if where else ""
    shop.write("pyproject.toml", f'[tool.djgate]\nreference = {{pattern = "{PATTERN}"{place}}}\n')


def findings(shop: Repo, djgate: Any, message: str) -> list[dict[str, Any]]:
    shop.write("orders/services.py", "x = 1\n")
    shop.stage("orders/services.py")
    run = djgate("check-msg", "--format", "json", "--select", "DJG109", write_msg(shop, message))
    assert run.code in (0, 1), run.err
    found: list[dict[str, Any]] = json.loads(run.out)["findings"]
    return found


MISSING = [
    ("header", "feat(orders): add refunds"),
    ("header", "feat(orders): add refunds\n\nRefs: SHOP-123"),  # in the trailer, not the header
    ("header", "feat(orders): add refunds for shop-123"),  # the pattern is case-sensitive
    ("body", "feat(orders): add refunds (SHOP-123)"),  # in the header, not the body
    ("body", "feat(orders): add refunds\n\nRefunds go through the payment provider."),
    ("body", "feat(orders): add refunds\n\nSee the ticket SHOP-."),
    ("trailer", "feat(orders): add refunds\n\nFor SHOP-123, refunds go through the provider."),  # prose
    ("trailer", "feat(orders): add refunds SHOP-123"),
    ("trailer", "feat(orders): add refunds\n\nRefs: SHOP-123\n\nA paragraph after it."),  # not last
    ("trailer", "feat(orders): add refunds\n\nRefs: the refund ticket"),
    (None, "feat(orders): add refunds\n\nRefunds go through the payment provider."),
    (None, "fix(orders): round totals to 2 decimal places"),
]


@pytest.mark.parametrize(("where", "message"), MISSING)
def test_a_message_without_a_reference(shop: Repo, djgate: Any, where: str | None, message: str) -> None:
    configure(shop, where)
    [finding] = findings(shop, djgate, message)
    assert finding["code"] == "DJG109"
    assert finding["severity"] == "error"
    assert f"(matching `{PATTERN.replace(chr(92) * 2, chr(92))}`)" in finding["message"]


PRESENT = [
    ("header", "feat(orders): add refunds (SHOP-123)"),
    ("header", "feat(orders): SHOP-123 add refunds"),
    ("header", "docs(orders): record the refund decision ADR-7"),
    ("body", "feat(orders): add refunds\n\nPart of SHOP-123: refunds go through the provider."),
    ("body", "feat(orders): add refunds\n\nRefs: #42"),
    ("trailer", "feat(orders): add refunds\n\nRefunds go through the provider.\n\nRefs: SHOP-123"),
    ("trailer", "feat(orders): add refunds\n\nSigned-off-by: A <a@example.com>\nrefs: SHOP-9, SHOP-10"),
    (None, "feat(orders): add refunds (#128)"),
    (None, "feat(orders): add refunds\n\nCloses #128"),
    ("header", 'Revert "feat(orders): add refunds"\n\nThis reverts commit 1234567.'),  # a revert
    ("header", "revert(orders): put the old refund flow back"),
    ("header", "fixup! feat(orders): add refunds"),  # squashed away before merging
]


@pytest.mark.parametrize(("where", "message"), PRESENT)
def test_a_message_with_a_reference_or_exempt(
    shop: Repo, djgate: Any, where: str | None, message: str
) -> None:
    configure(shop, where)
    assert findings(shop, djgate, message) == []


def test_off_until_configured(shop: Repo, djgate: Any) -> None:
    assert findings(shop, djgate, "feat(orders): add refunds") == []


@pytest.mark.parametrize(
    ("where", "hint"),
    [
        ("header", "name it in the header: feat(orders): add refunds (SHOP-123)"),
        ("body", "name it in the body, after a blank line: SHOP-123"),
        ("trailer", "end the message with a trailer, after a blank line: Refs: SHOP-123"),
        (None, "end the message with a trailer, after a blank line: Refs: SHOP-123"),
    ],
)
def test_the_hint_shows_where_to_put_it(shop: Repo, djgate: Any, where: str | None, hint: str) -> None:
    configure(shop, where)
    [finding] = findings(shop, djgate, "feat(orders): add refunds")
    assert finding["hint"] == hint


def test_a_merge_in_progress_is_exempt(shop: Repo, djgate: Any) -> None:
    configure(shop, "header")
    (shop.path / ".git" / "MERGE_HEAD").write_text(shop.git("rev-parse", "HEAD"))
    assert findings(shop, djgate, "Merge branch 'topic'") == []


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ('{pattern = "[A-Z+-\\\\d+"}', "reference.pattern: not a valid regular expression"),
        (
            '{pattern = "#\\\\d+", where = "footer"}',
            "reference.where: must be one of header, body, trailer, any",
        ),
        ('{where = "header"}', "reference: must be a table like"),
        ('"SHOP-\\\\d+"', "reference: must be a table like"),
        ('{pattern = "#\\\\d+", place = "header"}', "reference: unknown key 'place'"),
    ],
)
def test_the_configuration_is_validated(shop: Repo, djgate: Any, table: str, error: str) -> None:
    shop.write("pyproject.toml", f"[tool.djgate]\nreference = {table}\n")
    run = djgate("check-msg", write_msg(shop, "feat(orders): add refunds"))
    assert run.code == 2
    assert error in run.err
