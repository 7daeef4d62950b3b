"""The commitizen plugin `cz_djgate`, driven without a terminal: its questions and message directly, and
`cz check` as a subprocess, compared with djgate's own verdicts on the same messages."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Repo, write_msg

pytest.importorskip("commitizen")

from commitizen.config import BaseConfig
from commitizen.cz.exceptions import AnswerRequiredError
from commitizen.exceptions import ExitCode, InvalidCommitMessageError

from djgate.cz import DjgateCz, clean_summary

PYPROJECT = '[tool.djgate]\nextra_scopes = ["deps"]\n'


def plugin() -> DjgateCz:
    config = BaseConfig()
    config.settings.update({"name": "cz_djgate"})
    return DjgateCz(config)


def question(cz: DjgateCz, name: str) -> dict[str, object]:
    return next(dict(q) for q in cz.questions() if q["name"] == name)


def choices(q: dict[str, object]) -> list[str]:
    return [c["value"] for c in q["choices"]]  # type: ignore[attr-defined]


@pytest.fixture
def shop_with_extra(shop: Repo) -> Repo:
    shop.write("pyproject.toml", PYPROJECT)
    shop.stage("pyproject.toml")
    shop.commit()
    return shop


def test_importing_djgate_does_not_import_commitizen(shop: Repo) -> None:
    code = (
        "import sys; import djgate, djgate.cli, djgate.engine, djgate.install; "
        "djgate.cli.main(['rules']); print(sorted(m for m in sys.modules if m.startswith('commitizen')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "[]"


def test_scope_choices_are_the_apps_and_extra_scopes_with_the_staged_app_preselected(
    shop_with_extra: Repo,
) -> None:
    shop_with_extra.write("orders/views.py", "X = 1\n")
    shop_with_extra.stage("orders/views.py")
    cz = plugin()

    scope = question(cz, "scope")
    assert scope["type"] == "list"
    assert choices(scope) == ["billing", "orders", "deps"]
    assert scope["default"]["value"] == "orders"  # type: ignore[index]
    assert {c["value"]: c["name"] for c in scope["choices"]}["deps"] == "deps (not an app)"  # type: ignore[attr-defined]
    prefix = question(cz, "prefix")
    assert choices(prefix) == [
        "feat",
        "fix",
        "refactor",
        "perf",
        "test",
        "docs",
        "style",
        "build",
        "ci",
        "chore",
        "revert",
    ]
    assert prefix["default"]["value"] == "feat"  # type: ignore[index]
    assert [q["name"] for q in cz.questions()] == ["prefix", "scope", "subject", "body", "is_breaking_change"]


def test_answering_with_enter_takes_the_preselected_scope(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    """The questions as `cz commit` asks them (questionary), keystrokes through a pipe."""
    import questionary
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    shop.write("orders/views.py", "X = 1\n")
    shop.stage("orders/views.py")
    cz = plugin()
    with create_pipe_input() as keys:
        keys.send_text("\r\radd a note.\rCustomers asked.|It is optional.\ry")
        answers = questionary.prompt(cz.questions(), input=keys, output=DummyOutput())

    message = cz.message(answers)
    assert message == "feat(orders)!: add a note\n\nCustomers asked.\nIt is optional."
    assert djgate("check-msg", write_msg(shop, message)).code == 0


def test_type_follows_what_prepare_msg_would_guess(shop: Repo) -> None:
    shop.write("orders/tests/test_models.py", "def test_x():\n    pass\n")
    shop.stage("orders/tests/test_models.py")

    assert question(plugin(), "prefix")["default"]["value"] == "test"  # type: ignore[index]


def test_two_apps_staged_preselect_nothing_and_say_so(shop: Repo) -> None:
    shop.write("orders/views.py", "X = 1\n")
    shop.write("billing/views.py", "X = 1\n")
    shop.stage()

    scope = question(plugin(), "scope")
    assert "default" not in scope
    assert "the staged files touch billing, orders: split the commit" in str(scope["message"])


def test_no_app_and_no_extra_scope_asks_for_a_typed_scope(repo: Repo) -> None:
    repo.write("README.md", "hi\n")
    repo.stage()
    repo.commit()

    scope = question(plugin(), "scope")
    assert scope["type"] == "input"
    with pytest.raises(AnswerRequiredError):
        scope["filter"]("  ")  # type: ignore[operator]


def test_summary_filter_drops_a_final_period_and_requires_text() -> None:
    assert clean_summary("  add a note. ") == "add a note"
    assert clean_summary("wait for it...") == "wait for it..."
    with pytest.raises(AnswerRequiredError):
        clean_summary(" . ")


def test_message_is_a_header_djgate_accepts(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/views.py", "X = 1\n")
    shop.stage("orders/views.py")
    answers = {
        "prefix": "feat",
        "scope": "orders",
        "subject": "add a note",
        "body": "Customers asked for it.\nIt is optional.",
        "is_breaking_change": True,
    }
    message = plugin().message(answers)

    assert message == "feat(orders)!: add a note\n\nCustomers asked for it.\nIt is optional."
    assert djgate("check-msg", write_msg(shop, message)).code == 0
    assert (
        plugin().message({**answers, "body": "", "is_breaking_change": False}) == "feat(orders): add a note"
    )


def test_example_passes_djgate_and_the_schema(shop_with_extra: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    cz = plugin()
    example = cz.example()

    assert example.startswith("feat(billing): ")
    assert re.match(cz.schema_pattern(), example)
    assert djgate("check-msg", write_msg(shop_with_extra, example)).code == 0


MESSAGES = {
    # message -> djgate and cz both accept it
    "feat(orders): add a note": True,
    "fix(billing)!: drop the v1 API": True,
    "build(deps): pin django\n\nDjango 5.0 breaks the admin.": True,
    "perf(orders): faster, and then...": True,
    "Added a note": False,  # DJG101
    "feat(orders):add a note": False,  # DJG101
    "feature(orders): add a note": False,  # DJG102
    "feat: add a note": False,  # DJG103
    "feat(): add a note": False,  # DJG103
    "feat(order): add a note": False,  # DJG104
    "feat(orders): add a note.": False,  # DJG105
    "feat(orders): " + "x" * 59: False,  # DJG105: 73 characters
    "feat(orders): " + "x" * 58: True,  # 72
    "feat(orders): add a note\nwith the body glued on": False,  # DJG106
}


def cz_check(message: str) -> bool:
    """commitizen's own `cz check --message` command, in this process (its startup costs more than the check)."""
    from commitizen.commands.check import Check

    config = BaseConfig()
    config.settings.update({"name": "cz_djgate"})
    try:
        Check(config, {"message": message})()
    except InvalidCommitMessageError:
        return False
    return True


def test_cz_check_agrees_with_djgate_check_msg(shop_with_extra: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    for message, accepted in MESSAGES.items():
        assert cz_check(message) is accepted, message
        verdict = djgate("check-msg", write_msg(shop_with_extra, message))
        assert (verdict.code == 0) is accepted, (message, verdict.out)


def test_cz_check_agrees_on_a_change_touching_no_app(shop_with_extra: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop_with_extra.put(".pre-commit-config.yaml", "repos: []\n")
    for message, accepted in {"chore: add pre-commit config": True, "chore add config": False}.items():
        assert cz_check(message) is accepted, message
        assert (djgate("check-msg", write_msg(shop_with_extra, message)).code == 0) is accepted, message
    shop_with_extra.put("orders/views.py", "X = 1\n")  # an app's file: the scope is required again
    assert cz_check("chore: add pre-commit config") is False


@pytest.mark.parametrize(
    ("message", "code"),
    [("feat(orders): add a note", 0), ("feat(order): add a note", ExitCode.INVALID_COMMIT_MSG)],
)
def test_cz_command_finds_the_plugin(shop_with_extra: Repo, message: str, code: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "commitizen", "--name", "cz_djgate", "check", "--message", message],
        cwd=shop_with_extra.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_cz_check_says_what_djgate_says(shop_with_extra: Repo) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "commitizen",
            "--name",
            "cz_djgate",
            "check",
            "--message",
            "feat(order): add a note",
        ],
        cwd=shop_with_extra.path,
        capture_output=True,
        text=True,
        check=False,
    )
    said = result.stdout + result.stderr
    assert result.returncode == ExitCode.INVALID_COMMIT_MSG
    assert "DJG104 scope 'order' is not an app label or an extra scope" in said
    assert "pattern:" not in said and "(?s)" not in said  # not the schema's regex


def test_outside_a_repository_any_scope_passes_but_one_is_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    pattern = plugin().schema_pattern()

    assert re.match(pattern, "feat(anything): add a note")
    assert not re.match(pattern, "feat: add a note")
    assert not re.match(pattern, "feat( ): add a note")


def test_a_broken_djgate_config_is_one_clear_error(shop: Repo) -> None:
    shop.write("pyproject.toml", '[tool.djgate]\nextra_scope = ["deps"]\n')
    result = subprocess.run(
        [sys.executable, "-m", "commitizen", "--name", "cz_djgate", "check", "--message", "feat(orders): x"],
        cwd=shop.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "djgate: " in result.stderr and "unknown key 'extra_scope'" in result.stderr
    assert "Traceback" not in result.stderr


def configure_reference(shop: Repo, where: str) -> None:
    shop.write(
        "pyproject.toml",
        f'[tool.djgate]\nreference = {{pattern = "[A-Z]+-\\\\d+|#\\\\d+", where = "{where}"}}\n',
    )
    shop.stage("pyproject.toml")
    shop.commit()


def test_the_reference_is_asked_for_when_configured_from_the_branch_name(shop: Repo) -> None:
    assert "reference" not in [q["name"] for q in plugin().questions()]
    configure_reference(shop, "trailer")
    shop.git("checkout", "-q", "-b", "feature/SHOP-123-partial-refunds")

    asked = question(plugin(), "reference")

    assert asked["default"] == "SHOP-123"
    with pytest.raises(AnswerRequiredError):
        asked["filter"]("the refund ticket")  # type: ignore[operator]
    assert asked["filter"](" #42 ") == "#42"  # type: ignore[operator]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("header", "feat(orders): SHOP-123 add a note\n\nCustomers asked for it."),
        ("body", "feat(orders): add a note\n\nCustomers asked for it.\n\nRefs: SHOP-123"),
        ("trailer", "feat(orders): add a note\n\nCustomers asked for it.\n\nRefs: SHOP-123"),
    ],
)
def test_the_message_carries_the_reference_where_djgate_looks(  # type: ignore[no-untyped-def]
    shop: Repo, djgate, where: str, expected: str
) -> None:
    configure_reference(shop, where)
    shop.write("orders/views.py", "X = 1\n")
    shop.stage("orders/views.py")
    answers = {"prefix": "feat", "scope": "orders", "subject": "add a note", "reference": "SHOP-123"}

    message = plugin().message({**answers, "body": "Customers asked for it."})

    assert message == expected
    assert djgate("check-msg", write_msg(shop, message)).code == 0
    assert cz_check(message)


REFERENCED = {
    "header": {
        "feat(orders): SHOP-123 add a note": True,
        "feat(orders): add a note (#42)": True,
        "feat(orders): add a note\n\nRefs: SHOP-123": False,
        "revert(orders): put the note back": True,
    },
    "body": {
        "feat(orders): add a note\n\nPart of SHOP-123.": True,
        "feat(orders): add a note SHOP-123": False,
    },
    "trailer": {
        "feat(orders): add a note\n\nCustomers asked.\n\nRefs: SHOP-123": True,
        "feat(orders): add a note\n\nrefs: #42": True,
        "feat(orders): add a note\n\nRefs: SHOP-123\n\nCustomers asked.": False,
        "feat(orders): add a note\n\nFor SHOP-123.": False,
    },
    "any": {
        "feat(orders): add a note (#42)": True,
        "feat(orders): add a note\n\nCloses #42": True,
        "feat(orders): add a note": False,
    },
}


@pytest.mark.parametrize("where", REFERENCED)
def test_cz_check_agrees_with_djg109(shop: Repo, djgate, where: str) -> None:  # type: ignore[no-untyped-def]
    configure_reference(shop, where)
    for message, accepted in REFERENCED[where].items():
        assert cz_check(message) is accepted, message
        verdict = djgate("check-msg", write_msg(shop, message))
        assert (verdict.code == 0) is accepted, (message, verdict.out)
