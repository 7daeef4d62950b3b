"""prepare-commit-msg: pre-fill `<type>(<app>): ` on git's empty template, and only there."""

from __future__ import annotations

import pytest

from .conftest import Repo

TEMPLATE = "\n# Please enter the commit message for your changes.\n#\n# On branch main\n"


@pytest.fixture
def msg(shop: Repo):  # type: ignore[no-untyped-def]
    path = shop.path / ".git" / "COMMIT_EDITMSG"
    path.write_text(TEMPLATE)
    return path


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["orders/models.py"], "feat(orders): "),
        (["orders/tests/test_models.py", "orders/tests.py"], "test(orders): "),
        (["orders/guide.rst"], "docs(orders): "),
        (["orders/models.py", "shop/settings.py"], "feat(orders): "),
    ],
)
def test_prefills_from_staged_files(shop: Repo, msg, djgate, files: list[str], expected: str) -> None:  # type: ignore[no-untyped-def]
    for path in files:
        shop.write(path, "x = 1\n")
    shop.stage(*files)
    assert djgate("prepare-msg", str(msg)).code == 0
    assert msg.read_text() == expected + TEMPLATE  # the comments stay below the header line


@pytest.mark.parametrize("source", ["message", "template", "merge", "squash", "commit"])
def test_never_touches_a_given_message(shop: Repo, msg, djgate, source: str) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/models.py", "x = 1\n")
    shop.stage()
    assert djgate("prepare-msg", str(msg), source).code == 0
    assert msg.read_text() == TEMPLATE


def test_empty_file_gets_just_the_header(shop: Repo, msg, djgate) -> None:  # type: ignore[no-untyped-def]
    msg.write_text("")
    shop.write("orders/models.py", "x = 1\n")
    shop.stage()
    djgate("prepare-msg", str(msg))
    assert msg.read_text() == "feat(orders): "


def test_source_from_pre_commit_environment(shop: Repo, msg, djgate, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PRE_COMMIT_COMMIT_MSG_SOURCE", "message")
    shop.write("orders/models.py", "x = 1\n")
    shop.stage()
    djgate("prepare-msg", str(msg))
    assert msg.read_text() == TEMPLATE


def test_existing_text_and_ambiguous_changes_are_left_alone(shop: Repo, msg, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/models.py", "x = 1\n")
    shop.write("billing/models.py", "x = 1\n")
    shop.stage()
    djgate("prepare-msg", str(msg))
    assert msg.read_text() == TEMPLATE  # two apps: the author chooses
    shop.git("restore", "--staged", "billing/models.py")
    msg.write_text("fix(orders): mine\n" + TEMPLATE)
    djgate("prepare-msg", str(msg))
    assert msg.read_text() == "fix(orders): mine\n" + TEMPLATE


def test_merge_in_progress(shop: Repo, msg, djgate) -> None:  # type: ignore[no-untyped-def]
    (shop.path / ".git" / "MERGE_HEAD").write_text(shop.git("rev-parse", "HEAD"))
    shop.write("orders/models.py", "x = 1\n")
    shop.stage()
    djgate("prepare-msg", str(msg))
    assert msg.read_text() == TEMPLATE


REFERENCE = '[tool.djgate]\nreference = {{pattern = "[A-Z]+-\\\\d+|#\\\\d+"{}}}\n'


@pytest.mark.parametrize(
    ("where", "files", "expected"),
    [
        ("", ["orders/models.py"], "feat(orders): \n\nRefs: SHOP-123" + TEMPLATE),
        ('"trailer"', ["orders/models.py"], "feat(orders): \n\nRefs: SHOP-123" + TEMPLATE),
        ('"body"', ["orders/tests.py"], "test(orders): \n\nRefs: SHOP-123" + TEMPLATE),
        ('"header"', ["orders/models.py"], "feat(orders): SHOP-123 " + TEMPLATE),
        ('"trailer"', ["orders/models.py", "billing/models.py"], "\n\nRefs: SHOP-123" + TEMPLATE),
        ('"header"', ["orders/models.py", "billing/models.py"], TEMPLATE),  # no header to put it in
    ],
)
def test_keeps_the_reference_of_the_branch_name(  # type: ignore[no-untyped-def]
    shop: Repo, msg, djgate, where: str, files: list[str], expected: str
) -> None:
    shop.write("pyproject.toml", REFERENCE.format(f", where = {where}" if where else ""))
    shop.git("checkout", "-q", "-b", "feature/SHOP-123-partial-refunds")
    for path in files:
        shop.write(path, "x = 1\n")
    shop.stage(*files)
    assert djgate("prepare-msg", str(msg)).code == 0
    assert msg.read_text() == expected


@pytest.mark.parametrize(
    ("config", "branch"),
    [
        (REFERENCE.format(""), "feature/partial-refunds"),  # the branch names no task
        (REFERENCE.format(""), "feature/shop-123-partial-refunds"),  # not what the pattern matches
    ],
)
def test_a_branch_without_a_reference_gets_the_header_only(  # type: ignore[no-untyped-def]
    shop: Repo, msg, djgate, config: str, branch: str
) -> None:
    shop.write("pyproject.toml", config)
    shop.git("checkout", "-q", "-b", branch)
    shop.write("orders/models.py", "x = 1\n")
    shop.stage("orders/models.py")
    djgate("prepare-msg", str(msg))
    assert msg.read_text() == "feat(orders): " + TEMPLATE


def test_the_prefilled_reference_satisfies_djg109(shop: Repo, msg, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("pyproject.toml", REFERENCE.format(', where = "trailer"'))
    shop.git("checkout", "-q", "-b", "feature/SHOP-123-partial-refunds")
    shop.write("orders/models.py", "x = 1\n")
    shop.stage("orders/models.py")
    djgate("prepare-msg", str(msg))
    msg.write_text(msg.read_text().replace("feat(orders): ", "feat(orders): add partial refunds", 1))
    assert djgate("check-msg", "--select", "DJG109", str(msg)).code == 0
    msg.write_text("feat(orders): add partial refunds\n")
    assert djgate("check-msg", "--select", "DJG109", str(msg)).code == 1
