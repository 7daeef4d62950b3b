"""djgate-secrets and djgate-print through the real pre-commit framework: installed from a clone of this
checkout, run by real `git commit`s and by `pre-commit run --all-files` (CI, where nothing is staged)."""

from __future__ import annotations

import re

from .precommit_support import HookedRepo, RepoFactory

HOOKS = ("djgate-secrets", "djgate-print")
TOKEN = "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"


def outcome(repo: HookedRepo, output: str, hook_id: str) -> str | None:
    match = re.search(
        rf"{re.escape(repo.source.name_of(hook_id))}\.+(Passed|Failed|\(no files to check\)Skipped)", output
    )
    return match[1] if match else None


def test_a_commit_adding_a_secret_and_a_print_is_refused(precommit_repo: RepoFactory) -> None:
    repo = precommit_repo(hooks=HOOKS)
    head = repo.head()
    repo.write("orders/services.py", f'TOKEN = "{TOKEN}"\n\n\ndef refund(order):\n    print(order)\n')
    repo.write(".env", "STRIPE_KEY=x\n")
    repo.stage("orders/services.py", ".env")

    refused = repo.hooked_commit("-m", "feat(orders): refund orders")

    assert refused.code == 1, refused.output
    assert outcome(repo, refused.output, "djgate-secrets") == "Failed"
    assert outcome(repo, refused.output, "djgate-print") == "Failed"
    assert "orders/services.py:1: DJG401 hardcoded secret (GitHub Token" in refused.output
    assert "'ghp_...' (40 characters)" in refused.output and TOKEN not in refused.output
    assert ".env: DJG403 .env is a file of secrets" in refused.output
    assert "orders/services.py:5: DJG501 print() call added" in refused.output
    assert repo.head() == head

    repo.git("rm", "-q", "--cached", ".env")
    repo.write(
        "orders/services.py",
        'import os\n\nTOKEN = os.environ["GITHUB_TOKEN"]\n\n\ndef refund(order):\n    return order\n',
    )
    repo.stage("orders/services.py")
    accepted = repo.hooked_commit("-m", "feat(orders): refund orders")

    assert accepted.code == 0, accepted.output
    assert outcome(repo, accepted.output, "djgate-secrets") == "Passed"
    assert outcome(repo, accepted.output, "djgate-print") == "Passed"
    assert repo.head() != head


def test_what_was_already_there_does_not_block_a_commit(precommit_repo: RepoFactory) -> None:
    repo = precommit_repo(hooks=HOOKS)
    repo.write(
        "orders/views.py", f'LEGACY = "{TOKEN}"\n\n\ndef index(request):\n    print("old")\n    return 1\n'
    )
    repo.stage("orders/views.py")
    repo.commit("feat(orders): add the index view")  # --no-verify: the old code predates the hooks
    repo.write(
        "orders/views.py", f'LEGACY = "{TOKEN}"\n\n\ndef index(request):\n    print("old")\n    return 2\n'
    )
    repo.stage("orders/views.py")

    result = repo.hooked_commit("-m", "fix(orders): return two")

    assert result.code == 0, result.output
    assert outcome(repo, result.output, "djgate-secrets") == "Passed"
    assert outcome(repo, result.output, "djgate-print") == "Passed"


def test_run_all_files_in_ci_judges_whole_files(precommit_repo: RepoFactory) -> None:
    repo = precommit_repo(hooks=HOOKS)
    repo.write("orders/views.py", f'LEGACY = "{TOKEN}"\n\n\ndef index(request):\n    print("old")\n')
    repo.stage("orders/views.py")
    repo.commit("feat(orders): add the index view")

    result = repo.run_precommit("run", "--all-files")

    assert result.code == 1, result.output
    assert "orders/views.py:1: DJG401 hardcoded secret" in result.output
    assert "orders/views.py:5: DJG501 print() call added" in result.output
    assert TOKEN not in result.output


def test_files_named_like_options_are_judged_as_files(precommit_repo: RepoFactory) -> None:
    repo = precommit_repo(hooks=HOOKS)
    head = repo.head()
    repo.write("--help", f'TOKEN = "{TOKEN}"\n')
    repo.write("-h", f'TOKEN = "{TOKEN}"\n')
    repo.git("add", "--", "--help", "-h")

    refused = repo.hooked_commit("-m", "chore(deps): add the helpers")  # was: djgate's help, and exit 0

    assert refused.code == 1, refused.output
    assert "--help:1: DJG401 hardcoded secret" in refused.output
    assert "-h:1: DJG401 hardcoded secret" in refused.output
    assert repo.head() == head

    repo.git("rm", "-q", "--cached", "--", "--help", "-h")
    repo.write("-v.py", "breakpoint()\n")
    repo.git("add", "--", "-v.py")
    refused = repo.hooked_commit("-m", "chore(deps): add the helpers")

    assert refused.code == 1, refused.output
    assert "-v.py:1: DJG502 breakpoint() added" in refused.output
    assert repo.head() == head


def test_a_hostile_git_config_hides_nothing_from_the_hooks(precommit_repo: RepoFactory) -> None:
    repo = precommit_repo(hooks=HOOKS)
    views = "".join(f"def view_{i}(request):\n    return {i}\n\n\n" for i in range(6))
    repo.write("orders/views.py", views)
    repo.stage("orders/views.py")
    repo.commit("feat(orders): add the views")
    for key, value in (("diff.interHunkContext", "10"), ("diff.suppressBlankEmpty", "true")):
        repo.git("config", key, value)
    lines = views.splitlines()
    lines[1] = "    return None"
    lines[9:9] = ["    breakpoint()", f'    token = "{TOKEN}"']  # lines 10 and 11, below unchanged lines
    repo.write("orders/views.py", "\n".join(lines) + "\n")
    repo.stage("orders/views.py")

    refused = repo.hooked_commit("-m", "fix(orders): return nothing")

    assert refused.code == 1, refused.output
    assert "orders/views.py:11: DJG401 hardcoded secret" in refused.output
    assert "orders/views.py:10: DJG502 breakpoint() added" in refused.output


def test_attributes_and_nul_bytes_hide_nothing_from_the_hooks(precommit_repo: RepoFactory) -> None:
    repo = precommit_repo(hooks=HOOKS)
    repo.write(".gitattributes", "*.py -diff\n*.json binary\n")
    repo.stage(".gitattributes")
    repo.commit("chore(deps): mark generated files")
    repo.write("orders/services.py", "def refund(order):\n    breakpoint()\n")
    repo.write("orders/keys.json", f'{{"token": "{TOKEN}"}}\n')
    repo.write("orders/broken.py", "x = 1\x00\n")
    repo.stage("orders/services.py", "orders/keys.json", "orders/broken.py")

    refused = repo.hooked_commit("-m", "feat(orders): refund orders")

    assert refused.code == 1, refused.output
    assert "orders/keys.json:1: DJG401 hardcoded secret" in refused.output
    assert "orders/services.py:2: DJG502 breakpoint() added" in refused.output
    assert "orders/broken.py:1: DJG500 orders/broken.py does not parse" in refused.output
