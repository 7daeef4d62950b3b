"""DJG101-107 through the commit-msg door, on a real repository with apps orders and billing."""

from __future__ import annotations

import json

import pytest

from .conftest import Repo, write_msg


@pytest.fixture
def check(shop: Repo, djgate):  # type: ignore[no-untyped-def]
    def run(message: str | bytes, *files: str, args: tuple[str, ...] = ()) -> list[dict[str, object]]:
        for path in files:
            shop.write(path, "x = 1\n")
            shop.stage(path)
        result = djgate("check-msg", "--format", "json", *args, write_msg(shop, message))
        assert result.code in (0, 1), result.err
        findings: list[dict[str, object]] = json.loads(result.out)["findings"]
        assert result.code == (1 if any(f["severity"] == "error" for f in findings) else 0)
        return findings

    return run


def codes(findings: list[dict[str, object]]) -> list[object]:
    return [f["code"] for f in findings]


@pytest.mark.parametrize(
    "message",
    [
        "feat(orders): add refunds",
        "feat(orders)!: drop the v1 API",
        "fix(orders): round totals\n\nBecause of orders/models.py, see https://example.com/a/b.html.",
        'Revert "feat(orders): add refunds"\n\nThis reverts commit 1234567.',
        "fixup! whatever it says",
        "squash! whatever it says",
        "feat(orders): add refunds\n# a comment line\n# ------------------------ >8 ------------------------\nbad",
    ],
)
def test_good_messages(check, message: str) -> None:  # type: ignore[no-untyped-def]
    assert check(message, "orders/services.py") == []


@pytest.mark.parametrize(
    ("message", "expected", "hint"),
    [
        ("Added refunds", "DJG101", "feat(orders): Added refunds"),
        ("feat(orders):add refunds", "DJG101", "one space after the colon"),
        ("", "DJG101", "feat(orders)"),
        ("# only a comment\n", "DJG101", "feat(orders)"),
        ("feature(orders): add refunds", "DJG102", "did you mean `feat`?"),
        ("Feat(orders): add refunds", "DJG102", "did you mean `feat`?"),
        ("feat: add refunds", "DJG103", "feat(orders): add refunds"),
        ("feat(): add refunds", "DJG103", "feat(orders)"),
        ("feat(order): add refunds", "DJG104", "did you mean `feat(orders)`?"),
        ("feat(orders): ", "DJG105", "say what"),
        ("feat(orders): add refunds.", "DJG105", "period"),
        ("feat(orders): " + "x" * 80, "DJG105", "shorten"),
        ("feat(orders): add refunds\nbody right away", "DJG106", "second line"),
        ("feat(orders): add refunds\n\nSee orders/refunds.py:12 for it.", "DJG107", "correct the path"),
    ],
)
def test_bad_messages(check, message: str, expected: str, hint: str) -> None:  # type: ignore[no-untyped-def]
    findings = check(message, "orders/services.py")
    assert expected in codes(findings)
    finding = next(f for f in findings if f["code"] == expected)
    assert hint in str(finding["hint"])


def test_unknown_scope_suggests_closest_when_no_app_is_touched(check) -> None:  # type: ignore[no-untyped-def]
    (finding,) = check("docs(billin): fix typo", "shop/settings.py")
    assert finding["code"] == "DJG104"
    assert finding["hint"] == "did you mean `docs(billing)`?"


def test_revert_of_an_invalid_header_is_judged(check) -> None:  # type: ignore[no-untyped-def]
    assert codes(check('Revert "Added refunds"', "orders/x.py")) == ["DJG101"]


def test_merge_in_progress_is_not_judged(shop: Repo, check) -> None:  # type: ignore[no-untyped-def]
    (shop.path / ".git" / "MERGE_HEAD").write_text(shop.git("rev-parse", "HEAD"))
    assert check("Merge branch 'topic'", "orders/a.py", "billing/b.py") == []


def test_max_header_length_and_types_configurable(shop: Repo, check) -> None:  # type: ignore[no-untyped-def]
    shop.write("pyproject.toml", '[tool.djgate]\nmax_header_length = 20\ntypes = ["feature"]\n')
    assert codes(check("feature(orders): add refunds", "orders/a.py")) == ["DJG105"]


def test_cited_path_is_a_warning_and_does_not_block(check) -> None:  # type: ignore[no-untyped-def]
    (finding,) = check("feat(orders): add\n\nSee src/nowhere/x.py.", "orders/a.py")
    assert (finding["code"], finding["severity"]) == ("DJG107", "warning")


def test_cited_path_present_in_change_or_tree(check) -> None:  # type: ignore[no-untyped-def]
    message = (
        "feat(orders): add\n\nTouches orders/new_file.py and shop/settings.py; see orders.services.refund."
    )
    assert check(message, "orders/new_file.py") == []


def test_select_and_ignore_from_the_command_line(check) -> None:  # type: ignore[no-untyped-def]
    assert check("Added refunds", "orders/a.py", args=("--ignore", "DJG101")) == []
    assert codes(check("feat(order): x.", "orders/a.py", args=("--select", "DJG105"))) == ["DJG105"]


def test_severity_override_makes_it_a_warning(shop: Repo, check) -> None:  # type: ignore[no-untyped-def]
    shop.write("pyproject.toml", '[tool.djgate]\nseverity = {DJG104 = "warning"}\n')
    (finding,) = check("feat(order): add", "orders/a.py")
    assert finding["severity"] == "warning"


def test_extra_scope_on_neutral_files(shop: Repo, check) -> None:  # type: ignore[no-untyped-def]
    shop.write("pyproject.toml", '[tool.djgate]\nextra_scopes = ["deps"]\n')
    assert check("build(deps): bump django", "requirements.txt") == []


@pytest.mark.parametrize(
    ("message", "hint"),
    [
        (
            "feat(orders):add count endpoint.",
            "put one space after the colon; write: feat(orders): add count endpoint",
        ),
        ("feat(orders) add count endpoint", "write: feat(orders): add count endpoint"),
        ("feat (orders) : add count endpoint", "write: feat(orders): add count endpoint"),
        ("feat(orders)", "write: feat(orders): <what it does>"),
        ("Added refunds", "write: feat(orders): Added refunds"),  # not nearly a header: an example
    ],
)
def test_header_format_hint_repairs_what_is_there(check, message: str, hint: str) -> None:  # type: ignore[no-untyped-def]
    (finding,) = [f for f in check(message, "orders/services.py") if f["code"] == "DJG101"]
    assert finding["hint"] == hint


def test_unknown_scope_hint_prints_the_line_to_add(shop: Repo, check) -> None:  # type: ignore[no-untyped-def]
    (finding,) = check("chore(ci): add pre-commit config", ".pre-commit-config.yaml")
    assert finding["code"] == "DJG104"
    assert finding["hint"] == (
        "known scopes: billing, orders; to allow 'ci', add under [tool.djgate] in pyproject.toml "
        '(create the file or the table if missing): extra_scopes = ["ci"]'
    )
    shop.write("pyproject.toml", '[tool.djgate]\nextra_scopes = ["deps"]\n')
    (finding,) = check("chore(ci): add pre-commit config", ".pre-commit-config.yaml")
    assert str(finding["hint"]).endswith(
        'to allow \'ci\', change the line in [tool.djgate] of pyproject.toml to: extra_scopes = ["deps", "ci"]'
    )
    shop.write("pyproject.toml", '[tool.djgate]\nextra_scopes = ["deps", "ci"]\n')  # the line, as printed
    assert check("chore(ci): add pre-commit config", ".pre-commit-config.yaml") == []
