"""The djgate-range hook through the real pre-commit framework: on `git push`, and on demand."""

from __future__ import annotations

from .precommit_support import HookedRepo, RepoFactory


def commit(repo: HookedRepo, message: str, *files: str) -> None:
    for path in files:
        repo.write(path, f"# {message}\n")
    repo.stage(*files)
    repo.git("commit", "-q", "--no-verify", "-m", message)  # as if the local hooks were skipped


def test_push_of_a_bad_commit_is_refused(precommit_repo: RepoFactory) -> None:
    repo = precommit_repo(hooks=("djgate-range",))
    bare = repo.add_remote()
    commit(repo, "feat(orders): add refunds", "orders/refunds.py")
    commit(repo, "fixup! feat(orders): add refunds", "orders/refunds.py")
    pushed = repo.run_git("push", "-q", "origin", "HEAD")
    assert pushed.code != 0
    assert "DJG108" in pushed.output
    assert "djgate commit range" in pushed.output
    remote_head = repo.git("--git-dir", str(bare), "rev-parse", "HEAD").strip()
    assert remote_head != repo.head()  # nothing was pushed
    repo.git("reset", "-q", "--soft", "HEAD~2")
    repo.git("commit", "-q", "--no-verify", "-m", "feat(orders): add refunds")
    assert repo.run_git("push", "-q", "origin", "HEAD").code == 0


def test_manual_stage_over_a_range(precommit_repo: RepoFactory) -> None:
    repo = precommit_repo(hooks=("djgate-range",))
    base = repo.head()
    commit(repo, "feat(orders): add refunds", "orders/refunds.py")
    commit(repo, "feat(orders): add both", "orders/x.py", "billing/x.py")
    result = repo.run_precommit(
        "run", "djgate-range", "--hook-stage", "manual", "--from-ref", base, "--to-ref", "HEAD"
    )
    assert result.code == 1
    assert "DJG201" in result.output
    assert "2 commit(s)" in result.output
