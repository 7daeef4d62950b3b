"""DJG301 and the Django probe: a real Django project, Django from PyPI in a cached environment found
through the repository's `.venv`, the verdict of Django's own autodetector on the staged content."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from djgate.config import Config
from djgate.django.probe import SCRIPT, ProbeCache, django_verdict, start_probe
from djgate.gitrepo import GitRepo
from djgate.project import AppMap

from .conftest import Repo, djgate_process
from .django_support import (
    ORDER_NOTE_FIELD,
    ORDER_NOTE_MIGRATION,
    append,
    bare_venv,
    django_venv,
    write_project,
)

NOTE_MIGRATION_PATH = "orders/migrations/0003_order_note.py"


@pytest.fixture(scope="module")
def venv() -> Path:
    return django_venv()


@pytest.fixture
def project(repo: Repo, venv: Path) -> Repo:
    write_project(repo, venv)
    return repo


def check(djgate: Any, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    run = djgate("check-staged", "--family", "migrations", "--format", "json", *args)
    findings = json.loads(run.out)["findings"] if run.code in (0, 1) else []
    return run.code, findings, run.err


def configure(repo: Repo, **keys: object) -> None:
    lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items())
    repo.write("pyproject.toml", f"[tool.djgate]\n{lines}")


def boot_log(repo: Repo) -> Path:
    """Make the project's settings record each import (each Django boot) in a file; committed."""
    log = repo.path.parent / "boots.log"
    append(
        repo, "mysite/settings.py", f"\nwith open({str(log)!r}, 'a') as _log:\n    _log.write('boot\\n')\n"
    )
    repo.stage("mysite/settings.py")
    repo.commit("chore(deps): count boots")
    return log


def boots(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


# -- DJG301 ------------------------------------------------------------------------------------------


def test_a_model_change_without_its_migration_is_refused(project: Repo, djgate: Any) -> None:
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.stage("orders/models.py")

    code, findings, _ = check(djgate)

    assert code == 1
    [finding] = findings
    assert finding["code"] == "DJG301"
    assert finding["message"] == (
        f"models of 'orders' changed without a migration: makemigrations would write {NOTE_MIGRATION_PATH}"
    )
    assert finding["hint"].splitlines() == [
        "+ Add field note to order",
        "run: python manage.py makemigrations orders",
    ]


def test_a_model_change_with_its_migration_passes(project: Repo, djgate: Any) -> None:
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.write(NOTE_MIGRATION_PATH, ORDER_NOTE_MIGRATION)
    project.stage()

    assert check(djgate)[:2] == (0, [])


def test_choices_from_settings_are_part_of_the_model_state(project: Repo, djgate: Any) -> None:
    settings = project.path / "mysite/settings.py"
    settings.write_text(
        settings.read_text().replace('("USD", "US dollar")', '("USD", "US dollar"), ("GBP", "Pound")')
    )
    project.stage("mysite/settings.py")

    code, findings, _ = check(djgate)

    assert code == 1
    assert [(f["message"].split(":")[0], f["hint"].splitlines()[0]) for f in findings] == [
        ("models of 'catalog' changed without a migration", "~ Alter field currency on product")
    ]


def test_a_module_the_models_import_can_change_the_model_state(project: Repo, djgate: Any) -> None:
    fields = project.path / "catalog/fields.py"
    fields.write_text(fields.read_text().replace('"max_digits", 10', '"max_digits", 12'))
    project.stage("catalog/fields.py")

    code, findings, _ = check(djgate)

    assert code == 1
    assert findings[0]["hint"].splitlines()[0] == "~ Alter field price on product"


def test_what_the_project_prints_while_booting_does_not_confuse_the_probe(project: Repo, djgate: Any) -> None:
    append(project, "mysite/settings.py", '\nprint("settings loaded")\nprint("{not json")\n')
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.stage()

    code, findings, _ = check(djgate)

    assert code == 1
    assert [f["hint"].splitlines()[0] for f in findings] == ["+ Add field note to order"]


def test_a_change_that_cannot_alter_models_does_not_boot_django(project: Repo, djgate: Any) -> None:
    # With no usable interpreter, booting would be an error: passing proves Django was not asked.
    configure(project, python="/nonexistent/python")
    project.stage("pyproject.toml")
    project.commit("chore(deps): configure djgate")
    append(project, "orders/views.py", "\n\ndef other(request):\n    return count(request)\n")
    append(project, "orders/admin.py", "# the admin is not part of the model state\n")
    project.stage()
    assert check(djgate)[:2] == (0, [])

    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.stage("orders/models.py")
    code, _, err = check(djgate)
    assert code == 2 and "[tool.djgate] python = '/nonexistent/python'" in err


def test_ignoring_djg301_turns_the_django_part_off(project: Repo, djgate: Any) -> None:
    configure(project, python="/nonexistent/python", ignore=["DJG301"])
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.stage()

    assert check(djgate)[:2] == (0, [])


def test_the_verdict_is_cached_by_content(project: Repo, djgate: Any) -> None:
    log = boot_log(project)
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.stage("orders/models.py")

    first = check(djgate)
    assert boots(log) == 1
    assert check(djgate) == first  # the same staged content: no boot, the same findings
    assert boots(log) == 1

    append(project, "orders/views.py", "# not model state\n")
    project.stage("orders/views.py")
    assert check(djgate)[:2] == first[:2]
    assert boots(log) == 1

    project.write(NOTE_MIGRATION_PATH, ORDER_NOTE_MIGRATION)
    project.stage(NOTE_MIGRATION_PATH)
    assert check(djgate)[:2] == (0, [])
    assert boots(log) == 2


def test_unstaged_edits_do_not_change_the_verdict_and_survive(project: Repo, djgate: Any) -> None:
    # Staged: the field and its migration. Unstaged: another field without one, and an untracked
    # migration file that would hide a missing migration if the working tree were judged.
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.write(NOTE_MIGRATION_PATH, ORDER_NOTE_MIGRATION)
    project.stage()
    append(project, "orders/models.py", "    rush = models.BooleanField(default=False)\n")
    models = project.path / "orders/models.py"
    before = (models.read_bytes(), models.stat().st_mtime_ns)

    assert check(djgate)[:2] == (0, [])
    assert (models.read_bytes(), models.stat().st_mtime_ns) == before
    assert project.git("status", "--porcelain") == f"A  {NOTE_MIGRATION_PATH}\nMM orders/models.py\n"

    # The other way round: the staged model change lacks a migration that only the working tree has.
    project.git("rm", "-q", "--cached", NOTE_MIGRATION_PATH)
    code, findings, _ = check(djgate)
    assert code == 1 and findings[0]["code"] == "DJG301"
    assert (project.path / NOTE_MIGRATION_PATH).read_text() == ORDER_NOTE_MIGRATION


def test_an_untracked_module_the_models_import_is_not_there(project: Repo, djgate: Any) -> None:
    project.write(
        "orders/mixins.py",
        "from django.db import models\n\n\nclass Noted(models.Model):\n    class Meta:\n        abstract = True\n",
    )
    append(project, "orders/models.py", "\nfrom orders.mixins import Noted  # noqa: E402\n")
    project.stage("orders/models.py")  # orders/mixins.py is left untracked: the commit will not have it

    result = djgate("check-staged", "--family", "migrations", "--format", "json")

    assert result.code != 0  # Django cannot boot the commit to be: no silent pass
    assert "mixins" in result.out + result.err
    assert (project.path / "orders/mixins.py").exists()


def test_a_sparse_checkout_is_judged_on_the_whole_index(project: Repo, djgate: Any) -> None:
    project.git("sparse-checkout", "set", "--no-cone", "/*", "!/catalog/")  # catalog is not checked out
    assert not (project.path / "catalog").exists()
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.write(NOTE_MIGRATION_PATH, ORDER_NOTE_MIGRATION)
    project.stage("orders/models.py", NOTE_MIGRATION_PATH)

    assert check(djgate)[:2] == (0, [])  # Django boots with catalog, as the commit will have it
    append(project, "orders/models.py", "    rush = models.BooleanField(default=False)\n")
    project.stage("orders/models.py")
    assert check(djgate)[0] == 1  # and still sees a missing migration


def test_a_migration_graph_django_cannot_load_is_reported(project: Repo, djgate: Any) -> None:
    migration = ORDER_NOTE_MIGRATION.replace('("orders", "0002_order_status")', '("auth", "9999_missing")')
    project.write("orders/migrations/0003_order_note.py", migration)
    project.stage()

    code, findings, _ = check(djgate, "--select", "DJG301")

    assert code == 1
    [finding] = findings
    assert finding["message"].startswith("cannot tell whether a migration is missing")
    assert "NodeNotFoundError" in finding["message"] and "9999_missing" in finding["message"]


def test_an_operation_that_says_it_is_irreversible(project: Repo, djgate: Any) -> None:
    project.write(
        "orders/operations.py",
        "from django.db.migrations.operations.base import Operation\n\n\n"
        "class Archive(Operation):\n    reversible = False\n\n"
        "    def state_forwards(self, app_label, state):\n        pass\n\n"
        "    def database_forwards(self, app_label, schema_editor, from_state, to_state):\n        pass\n",
    )
    project.write(
        "orders/migrations/0003_archive.py",
        "from django.db import migrations\n\nfrom orders.operations import Archive\n\n\n"
        "class Migration(migrations.Migration):\n"
        '    dependencies = [("orders", "0002_order_status")]\n\n'
        "    operations = [\n        Archive(),\n    ]\n",
    )
    project.stage()

    code, findings, _ = check(djgate)

    assert code == 1
    assert [(f["code"], f["message"], f["line"]) for f in findings] == [
        ("DJG303", "Archive is not reversible: migration 0003_archive cannot be unapplied", 10)
    ]


# -- the environment: what failed and what to set -------------------------------------------------------


def test_django_missing_from_the_project_interpreter(project: Repo, tmp_path: Path) -> None:
    configure(project, python=str(bare_venv(tmp_path / "bare")))
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.stage()

    result = djgate_process("check-staged", "--family", "migrations", cwd=project.path)

    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("djgate: error: Django is not importable with ")
    assert "(from [tool.djgate] python)" in line and "set [tool.djgate] python" in line


def test_settings_that_fail_to_import(project: Repo) -> None:
    append(project, "mysite/settings.py", "\nINSTALLED_APPS += [undefined_name]\n")
    project.stage()

    result = djgate_process("check-staged", "--family", "migrations", cwd=project.path)

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "the settings module 'mysite.settings' (from manage.py) failed to import" in line
    assert "NameError: name 'undefined_name' is not defined (mysite/settings.py:" in line


def test_no_settings_module_to_be_found(project: Repo) -> None:
    manage = project.path / "manage.py"
    manage.write_text(manage.read_text().replace("os.environ.setdefault", "print"))
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.stage()

    result = djgate_process("check-staged", "--family", "migrations", cwd=project.path)

    assert result.returncode == 2
    assert 'set [tool.djgate] settings = "yourproject.settings"' in result.stderr


def test_a_probe_that_takes_too_long(project: Repo) -> None:
    configure(project, probe_timeout=1)
    append(project, "mysite/settings.py", "\nimport time\n\ntime.sleep(30)\n")
    project.stage()

    started = time.monotonic()
    result = djgate_process("check-staged", "--family", "migrations", cwd=project.path)

    assert time.monotonic() - started < 15
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "did not finish within 1 s (probe_timeout)" in line and "raise [tool.djgate] probe_timeout" in line


def test_settings_from_the_environment_win_over_manage_py(
    project: Repo, djgate: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "mysite.nonexistent")
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.stage()

    code, _, err = check(djgate)

    assert code == 2 and "'mysite.nonexistent' (from DJANGO_SETTINGS_MODULE) failed to import" in err


# -- the probe started early ---------------------------------------------------------------------------


def test_the_probe_starts_while_djgate_reads_the_change_when_models_are_staged(project: Repo) -> None:
    repo = GitRepo.discover(project.path)
    config = Config()
    assert start_probe(repo, config, repo.staged()) is None  # nothing staged: nothing to start
    append(project, "orders/views.py", "# not model state\n")
    project.stage()
    assert start_probe(repo, config, repo.staged()) is None  # a name that does not look like models
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.stage()
    assert start_probe(repo, Config(ignore=("DJG301",)), repo.staged()) is None

    started = start_probe(repo, config, repo.staged())
    assert started is not None and started.proc is not None
    verdict = django_verdict(repo, config, repo.staged(), AppMap(repo.apps(), config), started)

    assert started.used and started.proc.returncode == 0  # the early probe gave the answer
    assert verdict is not None and [p.operations for p in verdict.pending] == [("+ Add field note to order",)]


def test_a_probe_started_early_and_not_needed_is_stopped_without_booting(project: Repo, djgate: Any) -> None:
    log = boot_log(project)
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.stage()
    first = check(djgate)
    assert boots(log) == 1
    repo = GitRepo.discover(project.path)
    config = Config()

    started = start_probe(repo, config, repo.staged())
    assert started is not None and started.proc is not None
    verdict = django_verdict(repo, config, repo.staged(), AppMap(repo.apps(), config), started)
    assert verdict is not None and verdict.cached  # answered from the cache: the probe was not asked
    started.discard()

    assert not started.used and started.proc.returncode is not None  # stopped, not left running
    assert boots(log) == 1  # it had not imported the settings
    assert check(djgate) == first


def test_the_probe_exits_quietly_when_no_request_comes(venv: Path) -> None:
    result = subprocess.run(
        [str(venv / "bin" / "python"), str(SCRIPT)], input=b"", capture_output=True, timeout=60, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")


def test_a_project_with_its_own_django_gets_it_not_the_preloaded_one(project: Repo, venv: Path) -> None:
    # A project that vendors Django (here: a link to the installed one) must boot the copy manage.py
    # would import, not the one the probe preloaded from the interpreter's site-packages.
    (installed,) = venv.glob("lib/python*/site-packages/django")
    (project.path / "django").symlink_to(installed, target_is_directory=True)
    request = json.dumps({"project_dir": str(project.path), "settings": "mysite.settings"}).encode()

    result = subprocess.run(
        [str(venv / "bin" / "python"), str(SCRIPT)],
        input=request,
        capture_output=True,
        timeout=60,
        check=False,
    )

    answer = json.loads(result.stdout)
    assert answer["status"] == "ok"
    assert answer["django"]["file"] == str(project.path / "django" / "__init__.py")


# -- range mode: a commit's tree is judged the same way ------------------------------------------------


def test_a_commit_is_judged_on_its_own_tree(project: Repo) -> None:
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.stage()
    rev = project.commit("feat(orders): add a note")
    project.write(NOTE_MIGRATION_PATH, ORDER_NOTE_MIGRATION)  # present in the working tree only

    repo = GitRepo.discover(project.path)
    config = Config()
    verdict = django_verdict(repo, config, repo.commit(rev), AppMap(repo.apps(rev), config))

    assert verdict is not None
    assert [(p.app, p.path, p.operations) for p in verdict.pending] == [
        ("orders", NOTE_MIGRATION_PATH, ("+ Add field note to order",))
    ]
    assert os.listdir(project.path / "orders/migrations").count("0003_order_note.py") == 1


def test_check_range_boots_django_once_per_model_commit(project: Repo, djgate: Any) -> None:
    log = boot_log(project)
    base = project.git("rev-parse", "HEAD").strip()
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.stage()
    missing = project.commit("feat(orders): add a note")
    project.write(NOTE_MIGRATION_PATH, ORDER_NOTE_MIGRATION)
    project.stage()
    project.commit("feat(orders): add the note migration")
    project.write("orders/views.py", "def index(request):\n    return None\n")
    project.stage()
    project.commit("feat(orders): add a view")
    before = boots(log)

    run = djgate("check-range", "--format", "json", f"{base}..HEAD")
    data = json.loads(run.out)

    assert run.code == 1
    assert [(f["code"], f["commit"]) for f in data["findings"]] == [("DJG301", missing)]
    # The model commit and the migration commit boot Django; the view commit cannot change the models.
    assert data["summary"]["django_boots"] == boots(log) - before == 2
    again = json.loads(djgate("check-range", "--format", "json", f"{base}..HEAD").out)
    assert again["summary"]["django_boots"] == 0  # both verdicts cached by content


def test_check_range_sees_a_migration_race_with_the_target_branch(project: Repo, djgate: Any) -> None:
    migration = ORDER_NOTE_MIGRATION.replace("AddField(", "AddField(").replace('name="note"', 'name="{}"')
    project.git("checkout", "-q", "-b", "topic")
    project.write("orders/migrations/0003_order_note.py", migration.format("note"))
    project.stage()
    project.commit("feat(orders): add a note")
    project.git("checkout", "-q", "main")
    project.write("orders/migrations/0003_order_flag.py", migration.format("flag"))
    project.stage()
    project.commit("feat(orders): add a flag")
    project.git("checkout", "-q", "topic")

    alone = json.loads(djgate("check-range", "--select", "DJG302", "--format", "json", "HEAD~1..HEAD").out)
    assert alone["findings"] == []  # the branch alone has one leaf
    run = djgate("check-range", "--select", "DJG302", "--format", "json", "main..topic")
    (finding,) = json.loads(run.out)["findings"]
    assert run.code == 1
    assert finding["code"] == "DJG302"
    assert "after merging into the target branch" in finding["message"]
    assert "0003_order_flag landed on the target meanwhile" in finding["message"]
    assert "makemigrations --merge orders" in finding["hint"]


def test_a_cached_answer_is_only_for_its_own_key(tmp_path: Path) -> None:
    cache = ProbeCache(tmp_path / "cache")
    django_init = tmp_path / "__init__.py"
    django_init.write_text("")
    answer = {"status": "ok", "django": {"file": str(django_init)}, "pending": [], "irreversible": []}
    cache.store("key one", answer)
    assert cache.load("key one") == {**answer, "cached": True}

    # A key whose file name (a CRC-32) collided would find the entry: the key stored in it says no.
    cache._path("key two").write_bytes(cache._path("key one").read_bytes())
    assert cache.load("key two") is None
    django_init.write_text("# Django upgraded\n")  # a changed installation invalidates the entry
    assert cache.load("key one") is None


def test_the_probe_writes_no_bytecode_into_the_working_tree(
    project: Repo, djgate: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)  # as in a developer's shell
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.stage("orders/models.py")

    assert check(djgate)[0] == 1

    written = [
        p for p in project.path.rglob("__pycache__") if ".venv" not in p.relative_to(project.path).parts
    ]
    assert written == []


def test_pruning_the_cache_tolerates_a_parallel_run(tmp_path: Path) -> None:
    from djgate.django.probe import CACHE_ENTRIES, CACHE_SUFFIX

    cache = ProbeCache(tmp_path / "cache")
    django_init = tmp_path / "__init__.py"
    django_init.write_text("")
    answer = {"status": "ok", "django": {"file": str(django_init)}, "pending": [], "irreversible": []}
    cache.store("first", answer)
    # An entry this run lists and another run removes before this one looks at its age.
    (tmp_path / "cache" / f"pruned-by-another-run{CACHE_SUFFIX}").symlink_to(tmp_path / "gone")
    for n in range(CACHE_ENTRIES + 1):
        cache.store(f"key {n}", answer)
    assert cache.load(f"key {CACHE_ENTRIES}") == {**answer, "cached": True}
    assert len([p for p in (tmp_path / "cache").glob(f"*{CACHE_SUFFIX}") if p.exists()]) <= CACHE_ENTRIES


def test_check_range_copes_with_a_committed_link_to_an_absolute_path(project: Repo, djgate: Any) -> None:
    base = project.git("rev-parse", "HEAD").strip()
    (project.path / "mysite/local_settings.py").symlink_to("/etc/djgate-local-settings.py")  # deployed there
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.stage()
    missing = project.commit("feat(orders): add a note")

    run = djgate("check-range", "--format", "json", f"{base}..HEAD")

    assert run.code == 1, run.err
    assert [(f["code"], f["commit"]) for f in json.loads(run.out)["findings"]] == [("DJG301", missing)]


def _gone(pid: int) -> bool:
    """Not running: no such process, or a zombie waiting for a parent that is not ours to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return True


def test_a_probe_timeout_ends_what_the_project_started_too(project: Repo, tmp_path: Path) -> None:
    configure(project, probe_timeout=5)
    pids = tmp_path / "child.pid"
    child = "subprocess.Popen(['sleep', '40']).pid"  # holds the probe's stdout and stderr open
    append(
        project,
        "mysite/settings.py",
        f"\nimport subprocess, time\n\nopen({str(pids)!r}, 'w').write(str({child}))\n",
    )
    append(project, "mysite/settings.py", "time.sleep(60)\n")
    project.stage()

    started = time.monotonic()
    result = djgate_process("check-staged", "--family", "migrations", cwd=project.path)

    assert result.returncode == 2 and "did not finish within 5 s" in result.stderr
    assert time.monotonic() - started < 25  # not the 40 s of the child
    assert _gone(int(pids.read_text()))


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_leaves_no_copy_and_no_probe_behind(project: Repo, tmp_path: Path, signal_name: str) -> None:
    import signal
    import sys

    pids = tmp_path / "probe.pid"
    append(
        project,
        "mysite/settings.py",
        f"\nimport os, time\n\nopen({str(pids)!r}, 'w').write(str(os.getpid()))\ntime.sleep(30)\n",
    )
    project.stage()
    base = project.commit("chore(deps): a slow settings module")
    append(project, "orders/models.py", ORDER_NOTE_FIELD)
    project.stage()
    project.commit("feat(orders): add a note")
    temp = tmp_path / "tmp"
    temp.mkdir()
    djgate = subprocess.Popen(
        [sys.executable, "-m", "djgate", "check-range", f"{base}..HEAD"],
        cwd=project.path,
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        # A suite started in the background (`pytest &`) ignores SIGINT, and Python keeps an ignored
        # SIGINT ignored: give djgate the default, as at a terminal.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 30
        while not (pids.exists() and pids.read_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [p.name[:12] for p in temp.iterdir()] == ["djgate-tree-"]  # Django is booting in the copy
        djgate.send_signal(getattr(signal, signal_name))
        djgate.communicate(timeout=15)
        assert djgate.returncode != 0
        assert list(temp.iterdir()) == []
        assert _gone(int(pids.read_text()))
    finally:
        djgate.kill()
        djgate.communicate()
        if pids.exists() and not _gone(int(pids.read_text())):
            os.kill(int(pids.read_text()), signal.SIGKILL)  # the orphan this test made djgate leave


def test_djg301_says_what_djg307_will_say_of_the_migration_it_asks_for(
    project: Repo, djgate: Any, venv: Path
) -> None:
    models = project.path / "orders/models.py"
    models.write_text(
        models.read_text().replace("    quantity = models.PositiveIntegerField(default=1)\n", "")
    )
    project.stage("orders/models.py")

    code, findings, _ = check(djgate)

    assert code == 1
    [finding] = findings
    removal = (
        "migration 0003_remove_order_quantity: RemoveField drops the column of order.quantity: the release "
        "still running during the deploy queries it and fails until the new code is out"
    )
    said = [line for line in finding["hint"].splitlines() if line.startswith("DJG307 once written: ")]
    assert len(said) == 1 and said[0].startswith(
        "DJG307 once written: " + removal.removeprefix("migration 0003_remove_order_quantity: ")
    )
    # makemigrations writes the migration DJG301 asked for: DJG307 says the same of its operation
    subprocess.run(
        [str(venv / "bin" / "python"), "manage.py", "makemigrations", "orders"],
        cwd=project.path,
        check=True,
        capture_output=True,
    )
    project.stage()
    code, findings, _ = check(djgate)
    assert code == 0
    assert [(f["code"], f["message"]) for f in findings] == [("DJG307", removal)]


def test_a_new_nullable_field_gives_djg301_nothing_to_add_about_deploys(project: Repo, djgate: Any) -> None:
    append(project, "orders/models.py", "    note = models.TextField(null=True)\n")
    project.stage("orders/models.py")

    [finding] = check(djgate)[1]

    assert finding["code"] == "DJG301"
    assert "DJG307" not in finding["hint"]
