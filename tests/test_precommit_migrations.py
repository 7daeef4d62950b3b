"""djgate-migrations through the real pre-commit framework: the hook runs in pre-commit's own environment
(no Django there), finds the project's interpreter through the repository's `.venv`, and refuses a model
change whose migration is missing until the migration `makemigrations` writes is staged with it."""

from __future__ import annotations

import re
import subprocess

from .django_support import django_venv
from .precommit_support import RepoFactory

ORDER_MODEL = "\n\nclass Order(models.Model):\n    total = models.IntegerField()\n"


def test_a_missing_migration_is_refused_by_the_hook(precommit_repo: RepoFactory) -> None:
    repo = precommit_repo(hooks=("djgate-migrations",))
    venv = django_venv()
    (repo.path / ".venv").symlink_to(venv, target_is_directory=True)
    with open(repo.path / ".git/info/exclude", "a") as exclude:
        exclude.write(".venv\n__pycache__/\n")
    with open(repo.path / "orders/models.py", "a") as models:
        models.write(ORDER_MODEL)
    repo.stage("orders/models.py")
    head = repo.head()

    refused = repo.hooked_commit("-m", "feat(orders): add the order model")

    assert refused.code == 1, refused.output
    assert re.search(r"djgate migrations\.+Failed", refused.output)
    assert "DJG301 models of 'orders' changed without a migration" in refused.output
    assert "+ Create model Order" in refused.output
    assert "run: python manage.py makemigrations orders" in refused.output
    assert repo.head() == head

    # The fix the hook prints, with Django's own makemigrations, then the same commit again.
    subprocess.run(
        [str(venv / "bin/python"), "-m", "django", "makemigrations", "orders", "--settings", "shop.settings"],
        cwd=repo.path,
        check=True,
        capture_output=True,
    )
    repo.stage("orders/migrations/0001_initial.py")
    accepted = repo.hooked_commit("-m", "feat(orders): add the order model")

    assert accepted.code == 0, accepted.output
    assert re.search(r"djgate migrations\.+Passed", accepted.output)
    assert repo.head() != head
