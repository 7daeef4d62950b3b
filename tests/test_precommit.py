"""End to end through the real pre-commit framework: djgate's hook ids installed from a clone of this
checkout, then real `git commit`s in a Django-layout repository (apps orders and billing, project shop)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT
from .precommit_support import Editor, HookedRepo, HookSource, RepoFactory, make_editor

FOUNDATION_HOOKS = ("djgate-commit-msg", "djgate-scope", "djgate-prepare-msg")
ORDER_MODEL = "\n\nclass Order(models.Model):\n    total = models.IntegerField()\n"
INVOICE_MODEL = "\n\nclass Invoice(models.Model):\n    due = models.DateField()\n"


@pytest.fixture
def shop(precommit_repo: RepoFactory) -> HookedRepo:
    return precommit_repo(hooks=FOUNDATION_HOOKS)


@pytest.fixture
def editor(tmp_path: Path) -> Editor:
    return make_editor(tmp_path / "editor")


def append(repo: HookedRepo, rel: str, text: str | bytes) -> None:
    mode = "ab" if isinstance(text, bytes) else "a"
    with open(repo.path / rel, mode) as handle:
        handle.write(text)


def passed(source: HookSource, output: str, hook_id: str) -> bool:
    return re.search(rf"{re.escape(source.name_of(hook_id))}\.+Passed", output) is not None


def test_every_hook_id_has_an_end_to_end_test() -> None:
    """Each hook id the manifest offers is committed through pre-commit by some test in tests/."""
    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    sources = [
        path.read_text(encoding="utf-8")
        for path in (ROOT / "tests").glob("test_*.py")
        if "precommit_repo(" in path.read_text(encoding="utf-8")
    ]
    untested = [hook["id"] for hook in manifest if not any(f'"{hook["id"]}"' in text for text in sources)]
    assert not untested, (
        f"no pre-commit end-to-end test names {untested}: add one (tests/precommit_support.py)"
    )


def test_compliant_commit_lands_through_every_hook(shop: HookedRepo) -> None:
    append(shop, "orders/models.py", ORDER_MODEL)
    shop.stage("orders/models.py")

    result = shop.hooked_commit("-m", "feat(orders): add the order model")

    assert result.code == 0, result.output
    assert shop.head_message() == "feat(orders): add the order model"  # -m is left alone
    for hook_id in FOUNDATION_HOOKS:
        assert passed(shop.source, result.output, hook_id), f"{hook_id} did not run:\n{result.output}"


def test_shared_and_neutral_files_do_not_count_as_an_app(shop: HookedRepo) -> None:
    append(shop, "orders/models.py", ORDER_MODEL)
    append(shop, "shop/settings.py", "TIME_ZONE = 'UTC'\n")
    append(shop, "README.md", "Orders have totals.\n")
    shop.stage("orders/models.py", "shop/settings.py", "README.md")

    result = shop.hooked_commit("-m", "feat(orders): add the order model")

    assert result.code == 0, result.output


@pytest.mark.parametrize(
    ("files", "message", "code", "hook_id", "hint"),
    [
        (
            ["orders/models.py"],
            "Added the order model",
            "DJG101",
            "djgate-commit-msg",
            "type(scope): summary",
        ),
        (["orders/models.py"], "feat(ordres): add the model", "DJG104", "djgate-commit-msg", "feat(orders)"),
        (["orders/models.py"], "feat(billing): add the model", "DJG202", "djgate-commit-msg", "feat(orders)"),
        (["orders/models.py", "billing/models.py"], "feat(orders): add", "DJG201", "djgate-scope", "restore"),
    ],
)
def test_non_compliant_commit_is_refused_with_its_code(
    shop: HookedRepo, files: list[str], message: str, code: str, hook_id: str, hint: str
) -> None:
    for rel in files:
        append(shop, rel, ORDER_MODEL)
    shop.stage(*files)
    head, staged = shop.head(), shop.git("diff", "--cached")

    result = shop.hooked_commit("-m", message)

    assert result.code == 1, result.output
    assert code in result.output
    assert hint in result.output
    assert f"- hook id: {hook_id}" in result.output
    assert shop.head() == head
    assert shop.git("diff", "--cached") == staged  # nothing unstaged for the author
    if hook_id == "djgate-commit-msg":  # the message is not lost: `git commit -e -F .git/COMMIT_EDITMSG`
        assert shop.commit_editmsg().rstrip("\n") == message


def test_multi_app_refusal_prints_the_command_that_splits_the_commit(shop: HookedRepo) -> None:
    append(shop, "orders/models.py", ORDER_MODEL)
    append(shop, "billing/models.py", INVOICE_MODEL)
    shop.stage("orders/models.py", "billing/models.py")

    result = shop.hooked_commit("-m", "feat(orders): add the models")
    match = re.search(r"keep (\w+), unstage the rest: (git restore --staged -- .+)$", result.output, re.M)
    assert match, result.output
    keep, command = match[1], shlex.split(match[2])

    shop.git(*command[1:])
    assert shop.hooked_commit("-m", f"feat({keep}): add the model").code == 0
    shop.stage("orders/models.py", "billing/models.py")
    other = ({"orders", "billing"} - {keep}).pop()
    assert shop.hooked_commit("-m", f"feat({other}): add the model").code == 0
    assert shop.git("log", "-2", "--format=%s").split("\n")[:2] == [
        f"feat({other}): add the model",
        f"feat({keep}): add the model",
    ]


@pytest.mark.parametrize(
    ("message", "also_billing", "lands"),
    [
        ("feat(orders): add the order model", False, True),
        ("feat(billing): add the order model", False, False),  # refused at commit-msg
        ("feat(orders): add the order model", True, False),  # refused at pre-commit
    ],
)
def test_unstaged_changes_are_byte_identical_afterwards(
    shop: HookedRepo, message: str, also_billing: bool, lands: bool
) -> None:
    # Partial staging: part of orders/models.py is staged, more of it (CRLF, unicode, no final newline) is not.
    append(shop, "orders/models.py", ORDER_MODEL)
    shop.stage("orders/models.py")
    staged_order = (shop.path / "orders/models.py").read_bytes()
    append(shop, "orders/models.py", "    note = 'ünïcödé'\r\n    # unfinished".encode())
    if also_billing:
        append(shop, "billing/models.py", INVOICE_MODEL)
        shop.stage("billing/models.py")
    append(shop, "billing/models.py", "# billing work in progress\n")  # another app, unstaged: not counted
    shop.write("orders/scratch.bin", bytes(range(256)))  # untracked
    watched = ["orders/models.py", "billing/models.py", "orders/scratch.bin"]
    before = {rel: (shop.path / rel).read_bytes() for rel in watched}
    unstaged, staged, head = shop.git("diff"), shop.git("diff", "--cached"), shop.head()

    result = shop.hooked_commit("-m", message)

    assert (result.code == 0) is lands, result.output
    assert {rel: (shop.path / rel).read_bytes() for rel in watched} == before
    assert shop.git("diff") == unstaged
    if lands:
        assert shop.git("show", "HEAD:orders/models.py").encode() == staged_order
        assert shop.git("diff", "--cached") == ""
    else:
        assert shop.head() == head
        assert shop.git("diff", "--cached") == staged


@pytest.mark.parametrize(
    ("rel", "prefix", "completion"),
    [
        ("orders/models.py", "feat(orders): ", "add the order model"),
        ("orders/tests/test_models.py", "test(orders): ", "cover the order model"),
        ("shop/settings.py", "", "chore(deps): set the time zone"),  # no app: the author writes it all
    ],
)
def test_prepare_msg_prefills_the_app_in_the_editor(
    shop: HookedRepo, editor: Editor, rel: str, prefix: str, completion: str
) -> None:
    shop.write(rel, "X = 1\n")
    shop.stage(rel)

    result = shop.hooked_commit(env=editor.env(append=completion))

    first, *rest = editor.seen_text().split("\n")
    assert first == prefix
    assert any(line.startswith("# Please enter the commit message") for line in rest)  # comments stay
    assert result.code == 0, result.output
    assert passed(shop.source, result.output, "djgate-prepare-msg")
    assert shop.head_message() == prefix + completion


def test_prepared_header_left_unfinished_is_refused(shop: HookedRepo, editor: Editor) -> None:
    shop.write("orders/views.py", "X = 1\n")
    shop.stage("orders/views.py")

    result = shop.hooked_commit(env=editor.env())  # the author saves the template as it is

    assert result.code == 1
    assert "DJG105" in result.output  # empty summary
    assert shop.commit_editmsg().startswith("feat(orders): \n")


def test_message_from_file_is_left_alone(shop: HookedRepo, tmp_path: Path) -> None:
    message = "fix(orders): round the totals\n\nHalf up, as accounting asks."
    (tmp_path / "message.txt").write_text(message + "\n")
    append(shop, "orders/models.py", ORDER_MODEL)
    shop.stage("orders/models.py")

    result = shop.hooked_commit("-F", str(tmp_path / "message.txt"))

    assert result.code == 0, result.output
    assert shop.head_message() == message


def test_message_given_with_m_is_left_alone_in_the_editor(shop: HookedRepo, editor: Editor) -> None:
    append(shop, "orders/models.py", ORDER_MODEL)
    shop.stage("orders/models.py")

    result = shop.hooked_commit("-e", "-m", "fix(orders): round the totals", env=editor.env())

    assert editor.seen_text().startswith("fix(orders): round the totals\n")
    assert result.code == 0, result.output
    assert shop.head_message() == "fix(orders): round the totals"


def test_amend_is_left_alone(shop: HookedRepo, editor: Editor) -> None:
    append(shop, "orders/models.py", ORDER_MODEL)
    shop.stage("orders/models.py")
    assert shop.hooked_commit("-m", "feat(orders): add the order model").code == 0
    append(shop, "orders/models.py", "    note = models.TextField()\n")
    shop.stage("orders/models.py")

    result = shop.hooked_commit("--amend", env=editor.env())

    assert editor.seen_text().startswith("feat(orders): add the order model\n")
    assert result.code == 0, result.output
    assert shop.head_message() == "feat(orders): add the order model"
    assert shop.git("rev-list", "--count", "HEAD") == "2\n"


def test_merge_message_is_left_alone_and_not_judged(shop: HookedRepo, editor: Editor) -> None:
    shop.git("switch", "-q", "-c", "refunds")
    append(shop, "orders/models.py", ORDER_MODEL)
    shop.stage("orders/models.py")
    shop.commit("feat(orders): add the order model")
    shop.git("switch", "-q", "main")
    append(shop, "billing/models.py", INVOICE_MODEL)
    shop.stage("billing/models.py")
    shop.commit("feat(billing): add the invoice model")

    # A merge brings two apps together under git's own message: neither DJG101 nor DJG201 applies.
    result = shop.run_git("merge", "--no-ff", "--edit", "refunds", env=editor.env())

    assert editor.seen_text().startswith("Merge branch 'refunds'\n")
    assert result.code == 0, result.output
    assert passed(shop.source, result.output, "djgate-commit-msg")
    assert shop.head_message() == "Merge branch 'refunds'"
    assert len(shop.git("log", "-1", "--format=%P").split()) == 2


def test_conflicted_merge_concluded_by_commit_is_left_alone(shop: HookedRepo, editor: Editor) -> None:
    shop.git("switch", "-q", "-c", "refunds")
    append(shop, "orders/models.py", ORDER_MODEL)
    shop.stage("orders/models.py")
    shop.commit("feat(orders): add the order model")
    shop.git("switch", "-q", "main")
    append(shop, "orders/models.py", "\n\nclass Cart(models.Model):\n    pass\n")
    shop.stage("orders/models.py")
    shop.commit("feat(orders): add the cart model")
    assert shop.run_git("merge", "refunds").code == 1  # conflict
    shop.write("orders/models.py", "from django.db import models\n" + ORDER_MODEL)
    shop.stage("orders/models.py")

    result = shop.hooked_commit(env=editor.env())  # MERGE_HEAD present: prepare-msg's source is "merge"

    assert editor.seen_text().startswith("Merge branch 'refunds'\n")
    assert result.code == 0, result.output
    assert shop.head_message().startswith("Merge branch 'refunds'")


def test_squash_merge_is_left_alone(shop: HookedRepo, editor: Editor) -> None:
    shop.git("switch", "-q", "-c", "refunds")
    append(shop, "orders/models.py", ORDER_MODEL)
    shop.stage("orders/models.py")
    shop.commit("feat(orders): add the order model")
    shop.git("switch", "-q", "main")
    shop.git("merge", "-q", "--squash", "refunds")

    result = shop.hooked_commit(env=editor.env(message="feat(orders): add refunds"))

    assert editor.seen_text().startswith("Squashed commit of the following:")
    assert result.code == 0, result.output
    assert shop.head_message() == "feat(orders): add refunds"


def test_commit_a_refusal_prints_a_command_that_works_with_a(shop: HookedRepo) -> None:
    append(shop, "orders/models.py", "# orders\n")
    append(shop, "billing/models.py", "# billing\n")

    result = shop.hooked_commit("-a", "-m", "feat(orders): note the models")  # git's own index: -a

    assert result.code == 1 and "DJG201" in result.output
    assert "git restore --staged" not in result.output  # it would change nothing: -a stages again
    match = re.search(r"commit one app at a time; (\w+) first: (git commit -- .+)$", result.output, re.M)
    assert match, result.output
    first, command = match[1], shlex.split(match[2])
    assert shop.hooked_commit("-m", f"feat({first}): note the model", *command[2:]).code == 0
    other = ({"orders", "billing"} - {first}).pop()
    result = shop.hooked_commit("-a", "-m", f"feat({other}): note the model")
    assert result.code == 0, result.output


def test_refused_message_comes_back_with_the_printed_command(shop: HookedRepo, editor: Editor) -> None:
    append(shop, "orders/models.py", ORDER_MODEL)
    shop.stage("orders/models.py")

    result = shop.hooked_commit("-m", "feat(orders) add the order model")

    assert result.code == 1
    assert "write: feat(orders): add the order model" in result.output  # repaired, not repeated
    match = re.search(r"edit it again with: (git commit -e -F .+)$", result.output, re.M)
    assert match and match[1].endswith(str(shop.path / ".git" / "COMMIT_EDITMSG")), result.output
    env = editor.env(message="feat(orders): add the order model")
    result = shop.hooked_commit(*shlex.split(match[1])[2:], env=env)
    assert result.code == 0, result.output
    assert "feat(orders) add the order model" in editor.seen_text()  # what was typed came back
    assert shop.head_message() == "feat(orders): add the order model"


def test_a_change_touching_no_app_needs_no_scope(shop: HookedRepo) -> None:
    append(shop, ".pre-commit-config.yaml", "# reviewed\n")
    shop.stage(".pre-commit-config.yaml")

    result = shop.hooked_commit("-m", "chore(orders): review the hooks")
    assert result.code == 1 and "DJG202" in result.output, result.output
    assert "write: chore: review the hooks (no scope, or one of the extra_scopes: deps, ci)" in result.output
    result = shop.hooked_commit("-m", "chore: review the hooks")
    assert result.code == 0, result.output


def test_revert_of_a_merge_lands_and_check_range_agrees(shop: HookedRepo) -> None:
    base = shop.head()
    shop.git("checkout", "-q", "-b", "side")
    for app in ("orders", "billing"):
        append(shop, f"{app}/models.py", f"# {app}\n")
        shop.stage(f"{app}/models.py")
        assert shop.hooked_commit("-m", f"feat({app}): note the model").code == 0
    shop.git("checkout", "-q", "main")
    shop.git("merge", "-q", "--no-ff", "--no-edit", "side")
    merge = shop.head()

    result = shop.run_git("revert", "--no-edit", "-m", "1", merge)  # Revert "Merge branch 'side'"

    assert result.code == 0, result.output
    assert shop.head() != merge
    assert shop.head_message().startswith("Revert \"Merge branch 'side'\"")
    ci = subprocess.run(
        [sys.executable, "-m", "djgate", "check-range", f"{base}..HEAD", "--ignore", "DJG301"],
        cwd=shop.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ci.returncode == 0, ci.stdout + ci.stderr


def test_comment_char_auto_judges_what_git_keeps(shop: HookedRepo, editor: Editor) -> None:
    shop.git("config", "core.commentChar", "auto")
    append(shop, "orders/models.py", ORDER_MODEL)
    shop.stage("orders/models.py")

    result = shop.hooked_commit("-e", "-m", "feat(orders): add the model\n#12 is fixed", env=editor.env())

    assert result.code == 1 and "DJG106" in result.output, result.output  # git keeps '#12': ';' comments
    assert "; Please enter the commit message" in editor.seen_text()
    result = shop.hooked_commit("-e", "-m", "feat(orders): add the model\n\n#12 is fixed", env=editor.env())
    assert result.code == 0, result.output
    assert shop.head_message() == "feat(orders): add the model\n\n#12 is fixed"
