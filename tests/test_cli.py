"""The public contract of the command: exit codes, output shapes, and bad input met without a traceback."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from djgate import __version__ as djgate_version
from djgate.config import Config
from djgate.rules import all_rules

from .conftest import Repo, djgate_process, write_msg

RULES = all_rules()


def test_clean_commit_prints_nothing_and_exits_0(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/a.py", "a = 1\n")
    shop.stage()
    result = djgate("check-msg", write_msg(shop, "feat(orders): add a"))
    assert (result.code, result.out, result.err) == (0, "", "")


def test_text_output_shape(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/a.py", "a = 1\n")
    shop.stage()
    result = djgate("check-msg", write_msg(shop, "feat(order): add a\n\nSee orders/zzz.py"))
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0] == "DJG104 scope 'order' is not an app label or an extra scope"
    assert lines[1] == "    did you mean `feat(orders)`?"
    assert lines[2] == "DJG107 (warning) the body cites 'orders/zzz.py', which is not in the repository"
    assert lines[-1] == "djgate: 1 error(s), 1 warning(s): refused"
    assert "\x1b" not in result.out


def test_json_contract(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/a.py", "a = 1\n")
    shop.write("billing/b.py", "b = 1\n")
    shop.stage()
    result = djgate("check-msg", "--format", "json", write_msg(shop, "feat(orders): add a"))
    data = json.loads(result.out)
    assert data["version"] == 1
    (finding,) = data["findings"]
    assert set(finding) >= {"code", "severity", "message", "path", "line", "commit"}
    assert (finding["code"], finding["path"], finding["line"], finding["commit"]) == (
        "DJG201",
        None,
        None,
        None,
    )
    assert data["summary"] == {"errors": 1, "warnings": 0, "notices": 0, "blocking": True}


def test_warnings_only_exit_0(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/a.py", "a = 1\n")
    shop.stage()
    result = djgate("check-msg", write_msg(shop, "feat(orders): add\n\nsee orders/none.py"))
    assert result.code == 0
    assert "allowed" in result.out


def test_commit_text_is_sanitized(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/a.py", "a = 1\n")
    shop.stage()
    result = djgate("check-msg", write_msg(shop, "\x1b]0;pwned\x07\x1b[31mAdded\u202e stuff\r"))
    assert result.code == 1
    assert "\x1b" not in result.out and "\u202e" not in result.out and "\r" not in result.out
    assert "Added stuff" in result.out


def test_non_utf8_message(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/a.py", "a = 1\n")
    shop.stage()
    assert djgate("check-msg", write_msg(shop, b"feat(orders): caf\xe9 cr\xe8me")).code == 0
    result = djgate("check-msg", write_msg(shop, b"\xff\xfe\x00garbage"))
    assert result.code == 1
    assert "DJG101" in result.out


def test_huge_message(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/a.py", "a = 1\n")
    shop.stage()
    body = "\n".join(f"line {i} of the body, about orders" for i in range(10_000))
    assert djgate("check-msg", write_msg(shop, f"feat(orders): add\n\n{body}\n")).code == 0


def test_binary_file_staged(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/static/logo.png", bytes(range(256)) * 10)
    shop.stage()
    assert djgate("check-msg", write_msg(shop, "feat(orders): add logo")).code == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("check-msg", "/nonexistent/COMMIT_EDITMSG"), "cannot read the message file"),
        (("check-staged", "--family", "nope"), "Invalid value for --family: nope"),
        (("check-staged", "--select", "DJG9"), "not a rule code or prefix"),
        (("explain", "DJG999"), "no rule 'DJG999'"),
        (("check-staged", "--config", "missing.toml"), "no such file"),
        (("frobnicate",), "No such command"),
    ],
)
def test_usage_errors_exit_2_without_traceback(shop: Repo, args: tuple[str, ...], expected: str) -> None:
    result = djgate_process(*args, cwd=shop.path)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_config_error_names_key_and_file(shop: Repo) -> None:
    shop.write("pyproject.toml", "[tool.djgate]\ntypos = 1\n")
    result = djgate_process("check-staged", cwd=shop.path)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        f"djgate: error: {shop.path / 'pyproject.toml'}: [tool.djgate] unknown key 'typos' (did you mean "
        "'types'?); known keys: allow_overrides, apps, atomic_wrappers, exclude,"
    )


def test_outside_a_repository_exit_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = djgate_process(
        "check-staged",
        cwd=tmp_path,
        env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "not inside a git work tree" in result.stderr
    assert "Traceback" not in result.stderr


def test_rules_lists_every_rule(djgate) -> None:  # type: ignore[no-untyped-def]
    result = djgate("rules")
    assert result.code == 0
    for code, rule in RULES.items():
        assert f"{code}  {rule.name}" in result.out
    listed = json.loads(djgate("rules", "--format", "json").out)
    assert [r["code"] for r in listed] == list(RULES)


@pytest.mark.parametrize("code", sorted(RULES))
def test_explain_has_every_part(djgate, code: str) -> None:  # type: ignore[no-untyped-def]
    result = djgate("explain", code.lower())
    assert result.code == 0
    for part in ("## What it checks", "## Why it matters", "## How to fix it", "Bad:", "Good:"):
        assert part in result.out
    rule = RULES[code]
    assert rule.what and rule.why and rule.fix and rule.bad and rule.good
    assert rule.bad != rule.good


def test_explain_by_name(djgate) -> None:  # type: ignore[no-untyped-def]
    assert djgate("explain", "multiple-apps").out.startswith("# DJG201 multiple-apps")


def test_version(djgate) -> None:  # type: ignore[no-untyped-def]
    from djgate import __version__

    result = djgate("--version")
    assert result.code == 0
    assert __version__ in result.out


def test_a_bug_is_one_line_not_a_traceback(shop: Repo, djgate, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from djgate import engine

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("rule exploded")

    monkeypatch.delenv("DJGATE_DEBUG")
    monkeypatch.setattr(engine, "check_staged", broken)
    result = djgate("check-staged")
    assert result.code == 2
    assert result.err.strip() == (
        "djgate: internal error (RuntimeError: rule exploded); please report it, with the traceback that "
        "`djgate -v ...` prints"
    )


def test_a_relative_git_dir_from_a_subdirectory(shop: Repo) -> None:
    shop.put("orders/debug.py", "breakpoint()\n")
    env = {**os.environ, "GIT_DIR": "../.git", "GIT_WORK_TREE": ".."}
    result = djgate_process("check-staged", "--family", "print", cwd=shop.path / "orders", env=env)
    assert result.returncode == 1, result.stderr
    assert "orders/debug.py:1" in result.stdout


def test_check_range_in_a_bare_mirror(shop: Repo, tmp_path: Path) -> None:
    base = shop.git("rev-parse", "HEAD").strip()
    shop.put("orders/debug.py", "breakpoint()\n")
    shop.commit("fix(orders): debug")
    mirror = tmp_path / "mirror.git"
    shop.git("clone", "-q", "--mirror", str(shop.path), str(mirror))
    result = djgate_process("check-range", f"{base}..main", "--ignore", "DJG301", cwd=mirror)
    assert result.returncode == 1, result.stderr
    assert "orders/debug.py:1" in result.stdout
    staged = djgate_process("check-staged", cwd=mirror)
    assert staged.returncode == 2 and "not inside a git work tree" in staged.stderr


def test_a_byte_order_mark_is_not_part_of_the_header(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("orders/views.py", "VIEW = 1\n")
    result = djgate("check-msg", write_msg(shop, "\ufefffeat(orders): add the view\n"))
    assert (result.code, result.out) == (0, "")


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_a_file_name_that_is_not_utf8(shop: Repo, fmt: str) -> None:
    name = os.fsdecode(b"orders/caf\xe9.py")
    (shop.path / name).write_text("breakpoint()\n")
    shop.stage()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    result = djgate_process("check-staged", "--family", "print", "--format", fmt, cwd=shop.path, env=env)
    assert result.returncode == 1, result.stderr
    shown = (
        "orders/caf%E9.py"
        if fmt == "sarif"
        else "orders/caf\\\\xe9.py"
        if fmt == "json"
        else "orders/caf\\xe9.py"
    )
    assert shown in result.stdout


def test_rules_shows_the_configured_severity(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("pyproject.toml", '[tool.djgate]\nseverity = {DJG601 = "error"}\nignore = ["DJG107"]\n')
    text = djgate("rules").out
    assert re.search(r"^DJG601  http-without-timeout +error ", text, re.M), text
    assert re.search(r"^DJG107  cited-path-missing +off ", text, re.M), text
    assert re.search(r"^DJG101  header-format +error ", text, re.M), text
    assert text.rstrip().endswith(f"(severities from {shop.path / 'pyproject.toml'})")
    listed = {r["code"]: r for r in json.loads(djgate("rules", "--format", "json").out)}
    assert (listed["DJG601"]["severity"], listed["DJG601"]["default_severity"]) == ("error", "warning")


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_short_and_long(djgate, flag: str) -> None:  # type: ignore[no-untyped-def]
    result = djgate(flag)
    assert (result.code, result.out.strip()) == (0, f"djgate, version {djgate_version}")


def test_family_help_lists_the_families(djgate) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(djgate("check-staged", "--help").out.split())
    assert "scope, migrations, secrets, print, workflow" in text


def test_all_files_findings_do_not_say_added(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("orders/views.py", "def show():\n    print('x')\n    breakpoint()\n")
    shop.commit()
    out = djgate("check-staged", "--all-files").out
    assert (
        "orders/views.py:2: DJG501 print() call\n" in out
        and "orders/views.py:3: DJG502 breakpoint()\n" in out
    )
    assert "added" not in out
    shop.write("orders/views.py", "def show():\n    print('x')\n    breakpoint()\n    print('y')\n")
    shop.stage("orders/views.py")  # a staged change named by pre-commit: its lines are added
    out = djgate("check-staged", "--family", "print", "orders/views.py").out
    assert "orders/views.py:4: DJG501 print() call added" in out


def test_config_prints_each_value_and_where_it_came_from(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("pyproject.toml", '[tool.djgate]\nextra_scopes = ["ci"]\nmax_header_length = 60\n')
    source = str(shop.path / "pyproject.toml")
    text = djgate("config").out
    assert f'extra_scopes        = ["ci"]  # {source}' in text
    assert "max_header_length   = 60  # " + source in text
    assert 'require_scope       = "apps"  # default' in text
    assert "python              = (not set)  # default" in text
    data = json.loads(djgate("config", "--format", "json").out)
    keys = {k["key"]: k for k in data["keys"]}
    assert data["source"] == source
    assert keys["extra_scopes"] == {"key": "extra_scopes", "value": ["ci"], "from": source}
    assert keys["types"]["from"] == "default"
    assert set(keys) == set(Config._fields) - {"source", "configured"}


def test_the_commit_msg_hook_refuses_a_token_in_the_message(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    token = "ghp_" + "wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx"  # made up, in two parts
    shop.put("orders/views.py", "VIEW = 1\n")
    message = f"feat(orders): add the view\n\ndeploy with {token}\n# {token} in a comment is not kept\n"

    result = djgate("check-msg", write_msg(shop, message), "--format", "json")

    assert result.code == 1
    findings = json.loads(result.out)["findings"]
    assert [(f["code"], f["message"]) for f in findings] == [
        ("DJG401", "a token in the commit message, line 3: 'ghp_...' (40 characters)")
    ]
    assert token not in result.out + result.err
