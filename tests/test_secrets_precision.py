"""DJG401/DJG402 on the shapes real Django projects commit: each false positive seen on real histories, next
to a true positive that must still be caught.

Every value below is made up for the tests.
"""

from __future__ import annotations

import functools

import pytest

from djgate.rules.secrets import is_test_settings
from djgate.rules.secretvalues import high_confidence, relaxed_place

from .conftest import Repo, family_findings

GITHUB = "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"
STRIPE = "sk_live_Ab3dEf6hIj9kLm2nOp5qRs8t"
HEX_SECRET = "8fd5ad24df1e1b800d670e563b1b83591980060a"
PIN = "14de5866e2dfd9c503c57c5bdfed061eca33fe2e"
B64_SECRET = "EkDnNfribxUdl7dXTPyLsxPFkThf4VucSmEHgaKw"
JWT_SIGNED = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5"
    "MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
JWT_UNSIGNED = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."

findings = functools.partial(family_findings, "secrets")


def judged(djgate) -> list[tuple[object, object, object, object]]:  # type: ignore[no-untyped-def]
    """(code, path, line, severity) of each DJG401/DJG402 finding."""
    return sorted(
        (f["code"], f["path"], f["line"], f["severity"])
        for f in findings(djgate)
        if f["code"] in ("DJG401", "DJG402")
    )


# -- values that are not credentials, wherever they are ---------------------------------------------------


def test_names_of_secrets_are_not_secrets(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put(
        "orders/constants.py",
        "\n".join(
            [
                'REQUIRE_PASSWORD = "require_password"',
                'PASSWORD_AUTH_RESTRICTION = "password_auth_restriction"',
                'vault_secret_name = "shop-django-secret-key"',
                'STAFF_PASSWORD_RESET_SUBJECT = "Reset your shop password"',
                'ORDER_SECRET_OUTPUT = "the secret order export"',
                'SECRET_KEY_CHARSET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*"',
                'ERP_PASSWORD = "Vq7mZ2pXrT9w"',
            ]
        )
        + "\n",
    )
    assert judged(djgate) == [("DJG401", "orders/constants.py", 7, "error")]


def test_hashes_and_pinned_digests_are_not_secrets(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    pbkdf2 = "pbkdf2_sha256$870000$U8JZpDE0iGXlD6gNCFbaEP$FjbD0kH8Oool8DklZDOCj2ISaJiHkTj0rLGlkoMXGjt="
    shop.put(
        "orders/fixtures/staff.json",
        f'[{{"model": "auth.user", "pk": 1, "fields": {{"username": "ops", "password": "{pbkdf2}"}}}}]\n',
    )
    sri = "sha384-FWR/LAdkT++VdU6dmP2wF5ueISQhhtAlg6mv8Z0fDQ2Gb59dXnNvSY048ZSSdas5"
    shop.put(
        "orders/templates/orders/base.html",
        f'<script src="https://cdn.example.com/htmx.min.js" integrity="{sri}" crossorigin="anonymous"></script>\n',
    )
    shop.put(
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: https://github.com/example/hooks\n    rev: {PIN}  # frozen: v1.2.3\n",
    )
    shop.put(
        "requirements.txt",
        "django==5.1.4 \\\n"
        "    --hash=sha256:323893d9bb5aa973985ed80746df1d26bf27900e299f5e87f068d7f397d0072d\n",
    )
    shop.put(
        "orders/migrations/0002_documents.py",
        f'DOCUMENTS = [dict(path="a.pdf", hash="{PIN}"), dict(path="b.pdf", sha1="b3d1c9b2f28453bf1bfc31056f25cf94e56197bf")]\n',
    )
    shop.put("orders/webhooks.py", f'WEBHOOK_SIGNING_SECRET = "{HEX_SECRET}"\n')
    assert judged(djgate) == [("DJG401", "orders/webhooks.py", 1, "error")]


def test_encrypted_values_and_global_ids_are_not_secrets(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put(
        "deploy/secrets.enc.yaml",
        "database:\n    password: ENC[AES256_GCM,data:Zm9vYmFyYmF6cXV4,iv:VJ7faC9qEwjky40UVsWmflzdE1F8Res,type:str]\n",
    )
    shop.put(
        "deploy/travis.yml",
        'env:\n  global:\n    - secure: "VJ7faC9qEwjky40UVsWmflzdE1F8ResqEDusTpkr0cStY4qWB8dWKnHfDNxS"\n',
    )
    relay = "V2FyZWhvdXNlOjVmMGUyYzhhLTNiMWQtNGU3Zi05YTZjLTJkOGI0ZjFlMGE5Mw=="
    shop.put("orders/stock.py", f'DEFAULT_WAREHOUSE = "{relay}"\n')
    shop.put("deploy/app.yaml", f"database:\n    password: {B64_SECRET}\n")
    assert judged(djgate) == [("DJG401", "deploy/app.yaml", 2, "error")]


def test_local_defaults_and_short_values_are_not_secrets(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put(
        "orders/db.py",
        "import os\n"
        'PRIMARY = os.environ.get("DATABASE_URL", "postgres://shop:shop@db:5432/shop")\n'
        '# READ_ONLY = "postgres://shop_read_only:Kq2vXm9pLw@localhost:5432/shop"\n'
        "def column(lookup_key):\n"
        '    return "pk" if lookup_key == "id" else lookup_key\n'
        'REPLICA = "postgres://shop:Zq8Lm3Nb7Vc2@replica.internal:5432/shop"\n',
    )
    shop.put(".devcontainer/backend.env", "DATABASE_URL=postgres://shop:Wq9vKx2mLp@db/shop\n")
    assert judged(djgate) == [
        ("DJG401", ".devcontainer/backend.env", 1, "notice"),
        ("DJG401", "orders/db.py", 6, "error"),
    ]


def test_generated_digests_published_test_keys_and_dummy_payloads(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put(
        "orders/migrations/0003_add_event_triggers.sql",
        f"COMMENT ON TRIGGER pgtrigger_snapshot_insert_5c1d0 ON \"orders_order\" IS '{PIN}';\n"
        'CREATE INDEX "billing_taxjurisdictionkeyevent_pgh_obj_id_84f2ad97" ON "billing_taxjurisdictionkeyevent" ("pgh_obj_id");\n',
    )
    shop.put("shop/captcha.py", 'CAPTCHA_SECRET = "0x0000000000000000000000000000000000000000"\n')
    shop.put(
        "orders/templates/orders/webhook_dummy.txt", f'{{"event": "paid", "secret_key": "{B64_SECRET}"}}\n'
    )
    shop.put("orders/templates/orders/webhook.txt", f'{{"event": "paid", "secret_key": "{B64_SECRET}"}}\n')
    assert judged(djgate) == [
        ("DJG401", "orders/templates/orders/webhook.txt", 1, "error"),
        ("DJG401", "orders/templates/orders/webhook_dummy.txt", 1, "notice"),
    ]


# -- keyword and high-entropy matches in tests, examples and CI: notices; known tokens block everywhere -----


def test_keyword_matches_in_test_code_are_notices_and_known_tokens_still_block(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put(
        "orders/tests/test_login.py",
        "\n".join(
            [
                "def test_login(client, staff):",
                '    client.login(username=staff.email, password="Sup3rS3cret!")',
                '    assert client.post("/api/", {"password": "new-password"}).ok',
                '    client.defaults["HTTP_AUTHORIZATION"] = "Token ' + GITHUB + '"',
                '    upstream = "https://ops:Wq9vKx2mLp@mirror.example.com/simple"',
                f'    bearer = "{JWT_UNSIGNED}"',
                f'    signed = "{JWT_SIGNED}"',
            ]
        )
        + "\n",
    )
    shop.put("orders/conftest.py", 'API_KEY = "Zk3pQ8vLm2xR7tY9"\n')
    assert judged(djgate) == [
        ("DJG401", "orders/conftest.py", 1, "notice"),
        ("DJG401", "orders/tests/test_login.py", 2, "notice"),
        ("DJG401", "orders/tests/test_login.py", 4, "error"),
        ("DJG401", "orders/tests/test_login.py", 5, "notice"),
        ("DJG401", "orders/tests/test_login.py", 6, "notice"),
        ("DJG401", "orders/tests/test_login.py", 7, "error"),
    ]
    result = djgate("check-staged", "--family", "secrets")
    assert result.code == 1
    assert "in test code (a notice" in result.out and "Sup3rS3cret" not in result.out


def test_example_files_docs_and_ci_services_are_notices(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put(".gitignore", ".env\n")
    shop.put(".env.sample", 'DATABASE_PASSWORD="Vq7mZ2pXrT9w"\nSTRIPE_SECRET_KEY=' + STRIPE + "\n")
    shop.put(
        "docker-compose.yml",
        "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: shop_dev_pw\n",
    )
    shop.put(
        ".github/workflows/ci.yml",
        "jobs:\n  test:\n    services:\n      postgres:\n        env:\n          POSTGRES_PASSWORD: postgres\n"
        "    steps:\n      - uses: actions/checkout@" + PIN + "\n  release:\n    secrets: inherit\n",
    )
    shop.put("docs/api.md", f'```json\n{{"name": "Apple", "secret_key": "{B64_SECRET}"}}\n```\n')
    assert judged(djgate) == [
        ("DJG401", ".env.sample", 1, "notice"),
        ("DJG401", ".env.sample", 2, "error"),
        ("DJG401", "docker-compose.yml", 5, "notice"),
        ("DJG401", "docs/api.md", 2, "notice"),
    ]


def test_places_and_confidence() -> None:
    tests = ["orders/tests/test_api.py", "orders/tests.py", "conftest.py", "cl/scrapers/test_assets/a.html"]
    tests += ["shop/account/tests/fixtures/user.py", "frontend/src/cart.spec.ts", "shop/test_settings.py"]
    assert all(relaxed_place(p) == "test code" for p in tests)
    examples = [
        ".env.sample",
        "deploy/settings.py.example",
        "config.dist.yml",
        "example.env",
        "nginx.conf.tmpl",
    ]
    assert all(relaxed_place(p) == "an example file" for p in examples)
    assert (
        relaxed_place(".gitlab-ci.yml")
        == relaxed_place("compose.override.yaml")
        == "a CI or service definition"
    )
    assert relaxed_place("cl/api/templates/alert-api-docs.html") == "documentation"
    ordinary = [
        "orders/views.py",
        "shop/settings.py",
        "latest.py",
        "orders/contest.py",
        "templates/base.html",
    ]
    assert not any(relaxed_place(p) for p in ordinary)
    assert high_confidence("GitHub Token", GITHUB) and high_confidence(
        "JSON Web Token", JWT_SIGNED[:40], JWT_SIGNED
    )
    assert not high_confidence("JSON Web Token", JWT_UNSIGNED) and not high_confidence("Secret Keyword", "x")


# -- DJG402 ------------------------------------------------------------------------------------------------


def test_a_settings_key_that_names_a_route_is_not_a_secret(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put(
        "shop/settings.py",
        "INSTALLED_APPS = ['orders', 'billing']\n"
        'CELERY_TASK_DEFAULT_ROUTING_KEY = "task.default"\n'
        'CACHE_LOOKUP_KEY = "orders:lookup"\n'
        'MAPS_KEY = "AIzaSyB3kQ9vLm2xR7tY9wN1cE5hJ6kU4sAgDfZ"\n'
        'DATABASES = {"default": {"PASSWORD": "{{ db_password }}"}}\n',
    )
    assert [(f[0], f[2]) for f in judged(djgate)] == [("DJG402", 4)]


@pytest.mark.parametrize(
    "path", ["shop/settings/test.py", "shop/test_settings.py", "shop/settings_testing.py"]
)
def test_dev_credentials_in_test_settings_are_notices(shop: Repo, djgate, path: str) -> None:  # type: ignore[no-untyped-def]
    content = (
        'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "PASSWORD": "shop_ci_pw"}}\n'
        f'GITHUB_TOKEN = "{GITHUB}"\n'
    )
    shop.put(path, content)
    shop.put("shop/settings/production.py", content)
    assert judged(djgate) == sorted(
        [
            ("DJG401", path, 2, "error"),  # a known token blocks, test settings or not
            ("DJG402", path, 1, "notice"),
            ("DJG402", path, 2, "notice"),
            ("DJG402", "shop/settings/production.py", 1, "error"),
            ("DJG402", "shop/settings/production.py", 2, "error"),
        ]
    )


def test_test_settings_names() -> None:
    test = ["shop/settings/test.py", "shop/settings/tests.py", "test_settings.py", "shop/settings_testing.py"]
    test += ["settings_ci.py", "cl/tests/settings.py", "shop/settings/test_postgres.py"]
    prod = ["shop/settings.py", "settings/production.py", "settings/__init__.py", "settings/latest.py"]
    assert all(is_test_settings(p) for p in test)
    assert not any(is_test_settings(p) for p in prod)


def test_a_configured_severity_never_raises_a_notice(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("pyproject.toml", '[tool.djgate]\nseverity = {DJG401 = "warning"}\n')
    shop.put("orders/tests/test_pay.py", f'PASSWORD = "Sup3rS3cret!"\nSTRIPE = "{STRIPE}"\n')
    assert judged(djgate) == [
        ("DJG401", "orders/tests/test_pay.py", 1, "notice"),
        ("DJG401", "orders/tests/test_pay.py", 2, "warning"),
    ]
