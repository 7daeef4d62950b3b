"""What Django said about a tree, as the rules get it (pure data)."""

from __future__ import annotations

from typing import NamedTuple


class PendingMigration(NamedTuple):
    """A migration `makemigrations` would write."""

    app: str
    name: str  # 0002_order_note
    path: str | None  # repository-relative, where makemigrations would write it
    operations: tuple[str, ...]  # "+ Add field note to order"
    source: str | None = None  # the file makemigrations would write, when its writer can serialize it


class IrreversibleOperation(NamedTuple):
    """An operation whose `reversible` is False, in a migration on disk."""

    app: str
    migration: str
    position: int  # its index in the migration's `operations`
    operation: str  # class name


class DjangoVerdict(NamedTuple):
    """What Django said about the judged tree."""

    pending: tuple[PendingMigration, ...] = ()
    irreversible: tuple[IrreversibleOperation, ...] = ()
    graph_error: str | None = None  # the migration loader failed: nothing else could be decided
    command: str = "python manage.py makemigrations"  # how to run makemigrations in this repository
    django_version: str = ""
    cached: bool = False

    def pending_by_app(self) -> dict[str, list[PendingMigration]]:
        by_app: dict[str, list[PendingMigration]] = {}
        for migration in self.pending:
            by_app.setdefault(migration.app, []).append(migration)
        return by_app
