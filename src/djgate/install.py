"""`djgate install` / `djgate uninstall`: the native git hooks, for teams without the pre-commit framework.

A hook that is already there is never overwritten: it is renamed `<hook>.djgate-backup`, and djgate's script
runs it first (the scripts in hooks/ do that themselves, so the installed files are the packaged ones, byte
for byte). Uninstalling removes only djgate's scripts, recognised by their marker line, and renames the
backups back, so what was there returns unchanged (content, mode, symlink or file).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from djgate.errors import DjgateError
from djgate.gitrepo import GitRepo

HOOK_NAMES = ("pre-commit", "prepare-commit-msg", "commit-msg", "pre-push")
MARKER = b"# djgate-hook:"
BACKUP_SUFFIX = ".djgate-backup"


def hooks_dir() -> Path:
    """The native hooks: packaged as djgate/_hooks in a wheel, hooks/ in a source checkout."""
    for candidate in (Path(__file__).parent / "_hooks", Path(__file__).parents[2] / "hooks"):
        if (candidate / "commit-msg").is_file():
            return candidate
    raise DjgateError("djgate's hook scripts are missing from this installation; reinstall djgate")


@dataclass(frozen=True)
class Action:
    hook: str
    path: Path  # where the hook is (or was)
    what: str  # installed, updated, unchanged, kept-backup, removed, restored, not-installed, foreign

    def describe(self) -> str:
        backup = f"{self.hook}{BACKUP_SUFFIX}"
        return {
            "installed": f"installed {self.path}",
            "chained": f"installed {self.path}; the hook that was there is now {backup} and runs first",
            "updated": f"updated {self.path}",
            "unchanged": f"{self.path} is up to date",
            "removed": f"removed {self.path}",
            "restored": f"removed {self.path} and put back the hook it replaced",
            "not-installed": f"{self.path}: not djgate's hook, left as it is",
            "orphan-backup": f"{self.path}: not djgate's hook, left as it is; {backup} is kept too",
        }.get(self.what, f"{self.path}: {self.what}")


def is_djgate_hook(path: Path) -> bool:
    """A regular file (not a symlink) with djgate's marker line."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        return any(line.startswith(MARKER) for line in path.read_bytes().splitlines())
    except OSError:
        return False


def chosen(names: Iterable[str] | None) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(names or HOOK_NAMES))
    unknown = [n for n in wanted if n not in HOOK_NAMES]
    if unknown:
        raise DjgateError(f"--hook {', '.join(unknown)}: choose from {', '.join(HOOK_NAMES)}")
    return wanted


def install(repo: GitRepo, names: Sequence[str] | None = None) -> list[Action]:
    target_dir = repo.hooks_dir()
    source_dir = hooks_dir()
    wanted = chosen(names)
    plans = [(name, target_dir / name, (source_dir / name).read_bytes()) for name in wanted]
    for name, target, _ in plans:  # refuse before touching anything
        _check_installable(name, target)
    target_dir.mkdir(parents=True, exist_ok=True)
    return [_install_one(name, target, script) for name, target, script in plans]


def _check_installable(name: str, target: Path) -> None:
    backup = _backup_of(target)
    if not os.path.lexists(backup) or is_djgate_hook(target):
        return
    if os.path.lexists(target):
        raise DjgateError(
            f"{target} is not djgate's and {backup.name} is already there: move one of them away, then rerun"
        )
    raise DjgateError(f"{backup} is there without {name}: rename it back to {name} or delete it, then rerun")


def _install_one(name: str, target: Path, script: bytes) -> Action:
    if is_djgate_hook(target):
        if target.read_bytes() == script:
            return Action(name, target, "unchanged")
        _write(target, script)
        return Action(name, target, "updated")
    if os.path.lexists(target):
        os.rename(target, _backup_of(target))  # a rename keeps the bytes, the mode and a symlink as it was
        _write(target, script)
        return Action(name, target, "chained")
    _write(target, script)
    return Action(name, target, "installed")


def uninstall(repo: GitRepo, names: Sequence[str] | None = None) -> list[Action]:
    target_dir = repo.hooks_dir()
    actions = []
    for name in chosen(names):
        target, backup = target_dir / name, _backup_of(target_dir / name)
        if is_djgate_hook(target):
            if os.path.lexists(backup):
                os.replace(backup, target)
                actions.append(Action(name, target, "restored"))
            else:
                target.unlink()
                actions.append(Action(name, target, "removed"))
        elif os.path.lexists(backup):
            actions.append(Action(name, target, "orphan-backup"))
        elif os.path.lexists(target):
            actions.append(Action(name, target, "not-installed"))
    return actions


def _backup_of(target: Path) -> Path:
    return target.with_name(target.name + BACKUP_SUFFIX)


def _write(target: Path, script: bytes) -> None:
    """Write the script next to the target, then move it in place: git never sees half a hook."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(script)
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
