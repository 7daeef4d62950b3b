from __future__ import annotations

import gc
import itertools
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from djgate.errors import DjgateError
from djgate.gitrepo import DIFF_OPTIONS, LOG_FORMAT, GitRepo, parse_diff, parse_log, stream_log

from .conftest import Repo, djgate_process


def staged(repo: Repo):  # type: ignore[no-untyped-def]
    return GitRepo.discover().staged()


def test_first_commit_of_an_empty_repository(repo: Repo) -> None:
    repo.write("orders/models.py", "a\nb\n")
    repo.stage()
    changeset = staged(repo)
    assert changeset.unborn
    (change,) = changeset.files
    assert (change.path, change.status, change.old_path) == ("orders/models.py", "A", None)
    assert [(line.number, line.text) for line in change.added] == [(1, "a"), (2, "b")]


def test_nothing_staged(repo: Repo) -> None:
    assert staged(repo).files == ()
    repo.commit()
    assert staged(repo).files == ()


def test_added_line_numbers_from_several_hunks(repo: Repo) -> None:
    repo.write("f.py", "".join(f"line{i}\n" for i in range(1, 21)))
    repo.stage()
    repo.commit()
    lines = [f"line{i}\n" for i in range(1, 21)]
    lines.insert(2, "new3\n")
    lines[15] = "changed16\n"
    lines.append("last\n")
    repo.write("f.py", "".join(lines))
    repo.stage()
    (change,) = staged(repo).files
    assert change.status == "M"
    assert [(a.number, a.text) for a in change.added] == [(3, "new3"), (16, "changed16"), (22, "last")]


def test_rename_delete_and_modes(repo: Repo) -> None:
    repo.write("orders/old_name.py", "x = 1\n" * 20)
    repo.write("gone.py", "y\n")
    repo.write("script.sh", "echo\n")
    repo.stage()
    repo.commit()
    (repo.path / "billing").mkdir()
    repo.git("mv", "orders/old_name.py", "billing/new_name.py")
    repo.git("rm", "-q", "gone.py")
    repo.git("update-index", "--chmod=+x", "script.sh")
    changes = {c.path: c for c in staged(repo).files}
    renamed = changes["billing/new_name.py"]
    assert (renamed.status, renamed.old_path, renamed.added) == ("R", "orders/old_name.py", ())
    assert renamed.paths == ("orders/old_name.py", "billing/new_name.py")
    assert changes["gone.py"].status == "D"
    assert changes["gone.py"].new_blob is None
    assert changes["script.sh"].status == "M"


def test_binary_file(repo: Repo) -> None:
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00binary\x00")
    repo.write("text.py", "ok = True\n")
    repo.stage()
    changes = {c.path: c for c in staged(repo).files}
    assert changes["logo.png"].binary
    assert changes["logo.png"].added == ()
    assert not changes["text.py"].binary


@pytest.mark.parametrize(
    "name",
    ["dir with space/file name.py", "quo\"te's.py", "ünïcode/日本.py", "tab\there.py", "back\\slash.py"],
)
def test_paths_round_trip_exactly(repo: Repo, name: str) -> None:
    repo.write(name, "x = 1\n")
    repo.stage()
    (change,) = staged(repo).files
    assert change.path == name
    assert change.added[0].text == "x = 1"


def test_non_utf8_path_and_content(repo: Repo) -> None:
    raw_name = b"caf\xe9.py"
    (repo.path / os.fsdecode(raw_name)).write_bytes(b"name = 'caf\xe9'\n")
    repo.stage()
    (change,) = staged(repo).files
    assert os.fsencode(change.path) == raw_name
    assert change.added[0].text == "name = 'caf\ufffd'"


def test_symlink_has_no_code_lines(repo: Repo) -> None:
    os.symlink("target.py", repo.path / "link.py")
    repo.stage()
    (change,) = staged(repo).files
    assert change.path == "link.py"
    assert change.added == ()


def test_detached_head(repo: Repo) -> None:
    first = repo.commit("chore(deps): one")
    repo.commit("chore(deps): two")
    repo.git("checkout", "-q", first)
    repo.write("a.py", "a\n")
    repo.stage()
    git = GitRepo.discover()
    assert git.head == first
    assert [c.path for c in git.staged().files] == ["a.py"]


def test_commit_and_range(repo: Repo) -> None:
    base = repo.commit("chore(deps): base")
    repo.write("orders/a.py", "a\n")
    repo.stage()
    first = repo.commit("feat(orders): add a\n\nbody text")
    repo.write("orders/a.py", "a\nb\n")
    repo.write("billing/b.py", "b\n")
    repo.stage()
    second = repo.commit("feat(billing): add b")
    git = GitRepo.discover()
    one = git.commit(first)
    assert one.commit == first
    assert one.parents == (base,)
    assert one.message == "feat(orders): add a\n\nbody text\n"
    assert [(f.path, f.status) for f in one.files] == [("orders/a.py", "A")]
    assert "djgate tests" in (one.author or "")
    commits = git.range(f"{base}..{second}")
    assert [c.commit for c in commits] == [first, second]
    assert [a.text for f in commits[1].files for a in f.added] == ["b", "b"]
    assert git.range(f"{second}..{second}") == []


def test_a_clean_merge_introduces_nothing(repo: Repo) -> None:
    base = repo.commit("chore(deps): base")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("side.py", "s\n")
    repo.stage()
    repo.commit("feat(side): side")
    repo.git("checkout", "-q", "main")
    repo.write("main.py", "m\n")
    repo.stage()
    repo.commit("feat(main): main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side")
    commits = GitRepo.discover().range(f"{base}..HEAD")
    merge = commits[-1]
    assert merge.is_merge
    assert merge.files == ()  # side.py is side's, main.py is main's: neither is the merge's
    assert len(commits) == 3


def _conflicting_branches(repo: Repo) -> str:
    """main and side both rewrite the middle line of shared.py; returns the base commit."""
    repo.write("shared.py", "top = 1\nmiddle = 0\nbottom = 3\n")
    repo.stage()
    base = repo.commit("chore(deps): base")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("shared.py", "top = 1\nmiddle = 'side'\nbottom = 3\nside_only = 4\n")
    repo.write("side.py", "s = 1\n")
    repo.stage()
    repo.commit("feat(side): side")
    repo.git("checkout", "-q", "main")
    repo.write("shared.py", "main_only = 0\ntop = 1\nmiddle = 'main'\nbottom = 3\n")
    repo.stage()
    repo.commit("feat(main): main")
    repo.git("merge", "-q", "side", check=False)  # conflicts on the middle line
    repo.write("shared.py", "main_only = 0\ntop = 1\nmiddle = 'both'\nbottom = 3\nside_only = 4\n")
    repo.stage()
    return base


def test_a_merge_introduces_its_resolutions_only(repo: Repo) -> None:
    base = _conflicting_branches(repo)
    repo.commit("Merge branch 'side'")
    merge = GitRepo.discover().range(f"{base}..HEAD")[-1]
    assert [(f.path, [(a.number, a.text) for a in f.added]) for f in merge.files] == [
        ("shared.py", [(3, "middle = 'both'")])
    ]


def test_a_merge_that_takes_one_parent_whole_introduces_nothing(repo: Repo) -> None:
    base = repo.commit("chore(deps): base")
    repo.git("checkout", "-q", "-b", "fix")
    repo.put("orders/keys.py", "KEY = 1\n")
    fix = repo.commit("fix(orders): keys")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-s", "ours", "-m", "Merge commit from fork", fix)
    repo.git("read-tree", "-u", "--reset", fix)  # the merge's tree is the fix's: git shows one diff only
    repo.git("commit", "-q", "--amend", "--no-edit")
    merge = GitRepo.discover().range(f"{base}..HEAD")[-1]
    assert merge.is_merge
    assert merge.files == ()


def test_a_staged_merge_is_judged_like_the_merge_commit(repo: Repo) -> None:
    _conflicting_branches(repo)
    git = GitRepo.discover()
    staged = git.staged()
    assert staged.merging
    assert [(f.path, [a.text for a in f.added]) for f in staged.files] == [("shared.py", ["middle = 'both'"])]


def test_moved_and_reformatted_lines_are_not_added(repo: Repo) -> None:
    repo.write("a.py", "def keep():\n    print ('kept')\n\n\ndef move():\n    print('moved')\n")
    repo.stage()
    repo.commit("chore(deps): base")
    repo.write("a.py", "def keep():\n    print('kept')\n")
    repo.write("b.py", "def move():\n    print('moved')\n    print('new')\n")
    repo.stage()
    changes = {c.path: c for c in GitRepo.discover().staged().files}
    assert [a.text for a in changes["a.py"].added] == []
    assert [a.text for a in changes["a.py"].moved] == ["    print('kept')"]
    assert [a.text for a in changes["b.py"].added] == ["    print('new')"]
    assert [a.number for a in changes["b.py"].moved] == [1, 2]


def test_root_commit_shows_its_files(repo: Repo) -> None:
    repo.write("a.py", "a\n")
    repo.stage()
    sha = repo.commit("feat(a): first")
    assert [f.path for f in GitRepo.discover().commit(sha).files] == ["a.py"]


def test_unknown_revision_and_bad_range(repo: Repo) -> None:
    repo.commit()
    git = GitRepo.discover()
    with pytest.raises(DjgateError, match="unknown revision 'nope'"):
        git.range("nope..HEAD")
    with pytest.raises(DjgateError, match="not a range"):
        git.range("HEAD")


def test_outside_a_repository(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    with pytest.raises(DjgateError, match="not inside a git work tree"):
        GitRepo.discover()


def test_existing_paths_and_blobs(repo: Repo) -> None:
    repo.write("orders/services.py", "x\n")
    repo.stage()
    sha = repo.commit()
    repo.write("orders/new.py", "new\n")
    repo.stage()
    git = GitRepo.discover()
    assert git.existing_paths(["orders/services.py", "orders/new.py", "nope.py"]) == {
        "orders/services.py",
        "orders/new.py",
    }
    assert git.existing_paths(["orders/services.py", "orders/new.py"], sha) == {"orders/services.py"}
    (change,) = git.staged().files
    assert git.read_blobs({"orders/new.py": change.new_blob or ""}) == {"orders/new.py": b"new\n"}


def test_parse_diff_typechange_consumes_two_patches() -> None:
    out = (
        b":100644 120000 " + b"a" * 40 + b" " + b"b" * 40 + b" T\x00x.py\x00"
        b":000000 100644 " + b"0" * 40 + b" " + b"c" * 40 + b" A\x00y.py\x00\x00"
        b"diff --git a/x.py b/x.py\ndeleted file mode 100644\n--- a/x.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
        b"diff --git a/x.py b/x.py\nnew file mode 120000\n--- /dev/null\n+++ b/x.py\n@@ -0,0 +1 @@\n+t\n"
        b"diff --git a/y.py b/y.py\nnew file mode 100644\n--- /dev/null\n+++ b/y.py\n@@ -0,0 +1 @@\n+why\n"
    )
    changes = parse_diff(out)
    assert [(c.path, c.status) for c in changes] == [("x.py", "T"), ("y.py", "A")]
    assert changes[0].added == ()  # a symlink's target is not code
    assert [a.text for a in changes[1].added] == ["why"]


def test_context_lines_inside_a_hunk_are_counted() -> None:
    # Hunks merged by diff.interHunkContext, a blank context line shown empty (diff.suppressBlankEmpty), a
    # removed line that looks like a header and an added one that looks like a hunk.
    patch = (
        b"diff --git a/v.py b/v.py\n--- a/v.py\n+++ b/v.py\n@@ -1,6 +1,7 @@ def f():\n"
        b"-x = 0\n+x = 1\n def g():\n\n     return 2\n---- old\n+@@ -1 +1 @@\n+    breakpoint()\n y = 3\n"
        b"\\ No newline at end of file\n"
    )
    out = b":100644 100644 " + b"a" * 40 + b" " + b"b" * 40 + b" M\x00v.py\x00\x00" + patch
    (change,) = parse_diff(out)
    assert [(a.number, a.text) for a in change.added] == [
        (1, "x = 1"),
        (5, "@@ -1 +1 @@"),
        (6, "    breakpoint()"),
    ]


def test_one_cat_file_process_serves_every_read(repo: Repo) -> None:
    files = {f"pkg/m{i:04}.py": f"# {i}\n" * (i % 3) for i in range(1100)}  # more than one chunk; empties
    for path, text in files.items():
        repo.write(path, text)
    repo.stage()
    repo.commit()
    git = GitRepo.discover()

    ids = git.tree_files(under=["pkg"])
    assert git.read_blobs(ids) == {path: text.encode() for path, text in files.items()}
    batch = git._batch
    unknown = {"gone": ":no such file.py", "ok": "HEAD:pkg/m0001.py", "bad": "0" * 40}
    assert git.read_blobs(unknown) == {"ok": b"# 1\n"}  # names git does not know are left out
    assert git._batch is batch is not None  # the same process answered both

    git.close()
    assert batch.returncode == 0


def test_the_index_is_listed_once_and_finds_the_apps(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write(
        "orders/apps.py",
        "from django.apps import AppConfig\n\nclass OrdersConfig(AppConfig):\n"
        "    name = 'orders'\n    label = 'shop_orders'\n",
    )
    repo.write("orders/models.py", "")
    repo.stage()
    git = GitRepo.discover()
    listed = git.tree_files()
    repo.write("late.py", "")
    repo.stage()  # after the listing: a run sees the index as it was when it started
    monkeypatch.setattr(git, "run", lambda *args, **kwargs: pytest.fail(f"another git call: {args}"))

    assert git.tree_files(suffix=".py") == listed
    assert [(a.root, a.label) for a in git.apps()] == [("orders", "shop_orders")]
    assert "late.py" in GitRepo.discover(repo.path).tree_files()


def test_the_cat_file_process_ends_with_its_repo(repo: Repo) -> None:
    repo.write("a.py", "a\n")
    repo.stage()
    git = GitRepo.discover()
    assert git.read_blobs({"a": ":a.py"}) == {"a": b"a\n"}
    batch = git._batch
    assert batch is not None and batch.returncode is None

    del git
    gc.collect()

    assert batch.returncode == 0  # a program making many GitRepos keeps no idle git processes


def test_files_without_lines_for_the_message_and_scope_rules(repo: Repo) -> None:
    repo.put("orders/a.py", "a\n")
    repo.commit()
    repo.put("orders/a.py", "a\nb\n")
    repo.put("billing/b.py", "b\n")
    git = GitRepo.discover()
    with_lines, without = git.staged(), git.staged(lines=False)
    assert [(f.path, f.status, f.new_blob) for f in without.files] == [
        (f.path, f.status, f.new_blob) for f in with_lines.files
    ]
    assert all(f.added == () for f in without.files)
    assert any(f.added for f in with_lines.files)


@pytest.mark.parametrize(
    ("args", "patches"),
    [
        (("check-msg", ".git/COMMIT_EDITMSG"), False),
        (("check-staged", "--family", "scope"), False),
        (("check-staged", "--family", "print"), True),
    ],
)
def test_only_the_line_rules_ask_git_for_patches(repo: Repo, args: tuple[str, ...], patches: bool) -> None:
    repo.put("orders/a.py", "a = 1\n")
    repo.write(".git/COMMIT_EDITMSG", "chore: add a\n")
    result = djgate_process("-v", *args, cwd=repo.path)
    diffs = [line for line in result.stderr.splitlines() if "git diff --cached" in line]
    assert diffs, result.stderr
    assert all((" -p " in line) == patches for line in diffs)


def test_a_log_read_in_chunks_is_parsed_as_a_whole(repo: Repo) -> None:
    _conflicting_branches(repo)
    repo.commit("Merge branch 'side'")
    for i in range(3):
        repo.put(f"orders/step_{i}.py", f"step = {i}\n" * (i + 1))
        repo.commit(f"feat(orders): step {i}")
    git = GitRepo.discover()
    out = git.run(["log", "--diff-merges=separate", *DIFF_OPTIONS, LOG_FORMAT, "--reverse", "HEAD"])
    whole = list(parse_log(out))
    assert len(whole) == 7 and any(c.is_merge and c.files for c in whole)

    @given(st.lists(st.integers(min_value=1, max_value=len(out)), max_size=12))
    @settings(max_examples=60, deadline=None)
    def split_anywhere(cuts: list[int]) -> None:
        bounds = [0, *sorted(cuts), len(out)]
        chunks = [out[a:b] for a, b in itertools.pairwise(bounds)]
        assert list(stream_log(chunks)) == whole

    split_anywhere()


def test_a_commit_is_exported_whatever_its_export_attributes_say(repo: Repo, tmp_path: Path) -> None:
    repo.put(".gitattributes", "orders/models.py export-ignore\norders/version.py export-subst\n")
    repo.put("orders/models.py", "class Order:\n    pass\n")
    repo.put("orders/version.py", "VERSION = '$Format:%H$'\n")
    commit = repo.commit()
    dest = tmp_path / "copy"
    dest.mkdir()

    GitRepo.discover().export_tree(dest, commit)

    assert (dest / "orders/models.py").read_text() == "class Order:\n    pass\n"
    assert (dest / "orders/version.py").read_text() == "VERSION = '$Format:%H$'\n"


@given(
    st.lists(st.binary(max_size=12).filter(lambda b: b"\n" not in b), min_size=1, max_size=8), st.booleans()
)
@settings(max_examples=200, deadline=None)
def test_an_added_file_read_at_once_reads_as_line_by_line(lines: list[bytes], newline_at_end: bool) -> None:
    from djgate.gitrepo import _added_file, _hunk_lines

    body = b"".join(b"+" + line + b"\n" for line in lines)
    if not newline_at_end:
        body += b"\\ No newline at end of file\n"
    patch = b"diff --git a/f b/f\nnew file mode 100644\n--- /dev/null\n+++ b/f\n"
    patch += f"@@ -0,0 +1,{len(lines)} @@\n".encode() + body
    assert _added_file(patch) == list(_hunk_lines(patch))


@given(st.binary(max_size=60), st.integers(min_value=1, max_value=9))
@settings(max_examples=300, deadline=None)
def test_a_file_added_whole_holds_the_lines_decoded_one_by_one(data: bytes, first: int) -> None:
    """whole_file keeps a file's text as one AddedText: its lines are those decoded line by line (any
    bytes, invalid UTF-8 next to a newline included), and it behaves as the tuple of them."""
    from djgate.changeset import AddedLine, AddedText
    from djgate.gitrepo import whole_file

    data = data.replace(b"\0", b"")  # a NUL makes it binary
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    expected = tuple(AddedLine(n, line.decode("utf-8", "replace")) for n, line in enumerate(lines, 1))
    added = whole_file("f.txt", "0" * 40, data).added
    assert tuple(added) == expected and added == expected and len(added) == len(expected)
    if expected:
        assert (added[0], added[-1]) == (expected[0], expected[-1])
    text = AddedText("\n".join(line.text for line in expected), first)
    assert list(text.numbers()) == [first + i for i in range(len(expected) or 1)]
