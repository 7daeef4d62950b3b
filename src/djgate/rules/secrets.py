"""DJG4xx: no secret enters the repository: hardcoded secrets on added lines (detect-secrets), secrets in
Django settings, key and environment files; and DEBUG left on in production settings.

Secret values never leave this module in full: findings show `tokens.masked(value)` only.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from djgate.changeset import ChangeSet, FileChange, lines_by_number
from djgate.findings import Finding, Severity
from djgate.globs import GlobSet
from djgate.rules import Context, rule
from djgate.rules.pysource import PySource, python_sources
from djgate.tokens import masked

if TYPE_CHECKING:
    import ast

    from djgate.rules.secretscan import FoundSecret

ENV_TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".dist")
KEY_FILE_SUFFIXES = (".pem", ".key", ".p12", ".pfx")
SSH_KEY_PREFIXES = ("id_rsa", "id_ed25519", "id_ecdsa", "id_dsa")
# Words that make a settings module a development one (settings/dev.py, local_settings.py, test_settings.py).
DEV_WORDS = frozenset({"dev", "devel", "develop", "development", "local", "test", "tests", "testing", "ci"})
# A settings name or dict key that holds a secret: its last part says so (EMAIL_HOST_PASSWORD, "KEY").
# A setting named ..._KEY holds a secret when another word says so (SECRET, API, ...); else it may be a name.
KEY_SECRET_WORDS = frozenset(
    {"secret", "private", "api", "access", "signing", "encryption", "auth", "client", "app", "account"}
    | {"master", "service", "license", "hmac", "crypt", "fernet", "webhook", "stripe", "sso"}
)
IDENTIFIER = re.compile(r"[a-z]+(?:[._:/-][a-z]+)*")  # task.default, orders, celery:default
TEST_SETTINGS_WORDS = frozenset({"test", "tests", "testing", "ci"})
SECRET_NAME = re.compile(
    r"(?:^|_)(?:PASSWORD|PASSWD|PASS|SECRET|TOKEN|KEY|APIKEY|CREDENTIALS?)$|^SECRET_KEY_FALLBACKS$",
    re.IGNORECASE,
)


def _added_files(changeset: ChangeSet) -> Iterator[FileChange]:
    """Files the change brings in under their path: added, copied, or renamed from another kind of name."""
    for change in changeset.files:
        if change.status in ("A", "C", "R") and change.new_blob is not None:
            yield change


SECRET_HINT = (
    'read it from the environment instead (e.g. os.environ["API_TOKEN"]); rotate it if it was ever pushed\n'
    "not a secret? end the line with `# pragma: allowlist secret`, or accept it in "
    ".secrets.baseline (detect-secrets scan --baseline .secrets.baseline)"
)

# -- DJG401 -------------------------------------------------------------------------------------------


def _message_tokens(context: Context) -> Iterator[Finding]:
    """DJG401 on a recorded commit's message (the commit-msg hook asks on its own, see engine)."""
    from djgate.tokens import message_tokens

    if context.message is not None and context.changeset.source == "commit":
        yield from message_tokens([context.message.header, *context.message.body_lines])


@rule(
    "DJG401",
    "hardcoded-secret",
    summary="An added line holds a secret (detect-secrets' plugins and filters).",
    why="""
        A secret in a commit is in every clone and every fork for good: removing it later does not take it
        out of the history, so it must be rotated. Catching it before the commit is the cheap moment.
    """,
    fix="""
        Read the value from the environment (`os.environ["API_TOKEN"]`, django-environ's `env(...)`,
        python-decouple's `config(...)`), and rotate the secret if it was ever pushed. A false positive:
        end the line with `# pragma: allowlist secret`, or accept it in `.secrets.baseline`
        (`detect-secrets scan --baseline .secrets.baseline`); djgate reads the baseline, never writes it.
    """,
    bad='STRIPE_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"',
    good='STRIPE_KEY = os.environ["STRIPE_KEY"]',
)
def hardcoded_secret(context: Context) -> Iterator[Finding]:
    """detect-secrets, used as a library on the lines the change adds (whole files with `--all-files`):
    its plugins (AWS, GitHub, Stripe, Slack, private keys, high-entropy strings, secret keywords, ...) and
    its filters, with the file's content as context. Entries of an existing `.secrets.baseline` and lines
    with `# pragma: allowlist secret` pass; so do values read from the environment. Lines of Django
    settings that DJG402 reports are left to it.

    Not reported, as not credentials: names of secrets (a value equal to its key, `secret_name = ...`,
    `*_PASSWORD_RESET_SUBJECT = ...`), placeholders made of the key's words (`"private_key":
    "private_value"`, `"changeme"`, `admin`, `postgres`), hashes and digests (`pbkdf2_sha256$...`,
    `integrity="sha384-..."`, `--hash=sha256:...`, hex under `rev:`/`sha`/`hash` or after `@`), encrypted
    values (`secure:`, sops `ENC[...]`, Ansible vault), GraphQL global IDs, prose, values under 4
    characters or of 2 distinct ones (`0x0000...`), a URL whose password repeats its user
    (`postgres://shop:shop@db/shop`) or whose host is localhost, hex digests in migrations,
    `secrets: inherit`.

    A notice, not a block: a keyword, high-entropy, basic-auth or IP match in test code and fixtures,
    example and template files (`.env.sample`, `*.example`, `*.template`, `*.dist`, `*_dummy.*`),
    documentation and CI or service definitions (`.github/workflows`, `.gitlab-ci.yml`,
    `docker-compose*.yml`). Known tokens (private keys, `AKIA...`, `ghp_...`, Slack, Stripe, signed JWTs,
    ...) block everywhere.

    A recorded commit's message (in `check-range`) is searched for known tokens too: a message is in
    every clone like a file. Whatever djgate prints of a commit's text shows such a token masked."""
    from djgate.rules import secretscan

    yield from _message_tokens(context)

    files = [
        f
        for f in context.changeset.files
        if f.added and not f.binary and f.status != "D" and f.new_blob and f.path != secretscan.BASELINE
    ]
    if not files:
        return
    baseline_path = secretscan.BASELINE
    baseline = secretscan.read_baseline(context.path_contents([baseline_path]).get(baseline_path))
    prefilter = secretscan.prefilter_applies(baseline)
    added = {f.path: lines_by_number(f.added) for f in files}
    wanted = {}
    for path, lines in added.items():
        numbers = secretscan.wanted_lines(path, lines, prefilter)
        if numbers:
            wanted[path] = numbers
    if not wanted:
        return  # nothing a plugin could report: detect-secrets is not even imported
    contents = context.contents(list(wanted))
    to_scan = [secretscan.FileToScan(p, added[p], contents.get(p)) for p in wanted]
    by_line = _credentials_by_line(secretscan.scan(to_scan, wanted, baseline, prefilter), added, context)
    from djgate.rules import secretvalues  # only when detect-secrets found something

    # One finding per line, naming every plugin that saw something there; the longest value is shown (some
    # plugins report only a token's prefix, as GitHub's does).
    for (path, line), secrets in by_line.items():
        secrets.sort(key=lambda s: "High Entropy" in s.kind)  # the plugin that names the secret first
        kinds = ", ".join(dict.fromkeys(s.kind for s in secrets))
        value = max((s.value for s in secrets), key=len)
        message = f"hardcoded secret ({kinds}): {masked(value)}"
        text = added[path].get(line, "")
        sure = any(secretvalues.high_confidence(s.kind, s.value, text) for s in secrets)
        place = None if sure else secretvalues.relaxed_place(path)
        if place:
            message += f", in {place} (a notice: a keyword or high-entropy match, not a known token)"
        severity: Severity = "notice" if place else "error"
        yield Finding("DJG401", message, severity=severity, path=path, line=line, hint=SECRET_HINT)


def _credentials_by_line(
    found: list[FoundSecret], added: dict[str, Mapping[int, str]], context: Context
) -> dict[tuple[str, int], list[FoundSecret]]:
    """What detect-secrets found that is a credential, by line: values read from the environment, names,
    hashes and encrypted blobs pass (secretvalues), and so do the settings lines DJG402 reports (but for
    a high-confidence token on a line where DJG402 gives only a notice)."""
    from djgate import log
    from djgate.rules import secretscan, secretvalues

    left_to_settings = _settings_lines(context)
    by_line: dict[tuple[str, int], list[FoundSecret]] = {}
    for secret in found:
        text = added[secret.path].get(secret.line, "")
        if secretscan.read_from_environment(text, secret.value):
            continue
        why = secretvalues.not_a_credential(secret.kind, secret.value, text, secret.path)
        if why:
            log.debug("DJG401: %s:%d: %s, not a secret (%s)", secret.path, secret.line, why, secret.kind)
            continue
        blocking = left_to_settings.get((secret.path, secret.line))
        sure = secretvalues.high_confidence(secret.kind, secret.value, text)
        if blocking or (blocking is False and not sure):
            continue
        by_line.setdefault((secret.path, secret.line), []).append(secret)
    return by_line


# -- DJG402, DJG404: Django settings --------------------------------------------------------------------


class SettingSecret(NamedTuple):
    line: int
    where: tuple[str, ...]  # SECRET_KEY, or DATABASES / default / PASSWORD
    value: str
    fallback: bool = False  # the default of an environment read


def is_settings_module(path: str, configured: str | None = None) -> bool:
    """settings.py, settings_*.py, *_settings.py, any module of a settings/ package, or the configured one."""
    if not path.endswith(".py"):
        return False
    name = posixpath.basename(path)
    parent = posixpath.basename(posixpath.dirname(path))
    if name == "settings.py" or parent == "settings":
        return True
    if name.startswith("settings_") or name.endswith("_settings.py"):
        return True
    if configured:
        module = configured.strip().replace(".", "/")
        for candidate in (f"{module}.py", f"{module}/__init__.py"):
            if path == candidate or path.endswith("/" + candidate):
                return True
    return False


def is_dev_settings(path: str) -> bool:
    """Does the module's name say development, local or test (settings/dev.py, local_settings.py)?"""
    parts = path[:-3].split("/")
    words = set(re.split(r"[^a-z0-9]+", parts[-1].lower()))
    # settings.py and settings/__init__.py are named by their directory (tests/settings.py).
    if parts[-1] in ("settings", "__init__") and len(parts) > 1:
        words |= set(re.split(r"[^a-z0-9]+", parts[-2].lower()))
    return bool(words & DEV_WORDS)


def settings_secrets(source: PySource) -> list[SettingSecret]:
    """Literal secrets assigned at module level of a settings module (in `if`/`try` blocks too)."""
    import ast

    found: list[SettingSecret] = []
    for stmt in _module_level(source.outline.body if source.outline else []):
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            continue
        for target in targets:
            where = _target_path(target)
            if where:
                found.extend(_secrets_in(where, value))
    return found


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    import ast

    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.If, ast.Try, ast.With)):
            yield from _module_level(stmt.body)
            yield from _module_level(getattr(stmt, "orelse", []))
            for handler in getattr(stmt, "handlers", []):
                yield from _module_level(handler.body)
            yield from _module_level(getattr(stmt, "finalbody", []))


def _target_path(target: ast.expr) -> tuple[str, ...]:
    """NAME for `NAME = ...`; NAME / key / key for `NAME["key"]["key"] = ...`; () otherwise."""
    import ast

    keys: list[str] = []
    while isinstance(target, ast.Subscript):
        if not (isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str)):
            return ()
        keys.append(target.slice.value)
        target = target.value
    return (target.id, *reversed(keys)) if isinstance(target, ast.Name) else ()


def _literal(node: ast.expr) -> str | None:
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        value = node.value if isinstance(node.value, str) else node.value.decode("latin-1")
        return value if value.strip() else None  # empty strings pass
    return None


def _secrets_in(where: tuple[str, ...], value: ast.expr) -> Iterator[SettingSecret]:
    import ast

    if SECRET_NAME.search(where[-1]):
        literal = _literal(value)
        if literal is not None:
            yield SettingSecret(value.lineno, where, literal)
            return
        if isinstance(value, (ast.List, ast.Tuple, ast.Set)):  # SECRET_KEY_FALLBACKS
            for item in value.elts:
                literal = _literal(item)
                if literal is not None:
                    yield SettingSecret(item.lineno, where, literal)
            return
        # A generated Django key as the fallback of an environment read is a committed key all the same.
        for node in ast.walk(value):
            if isinstance(node, ast.Constant):
                literal = _literal(node)
                if literal is not None and literal.startswith("django-insecure-"):
                    yield SettingSecret(node.lineno, where, literal, fallback=True)
        return
    if isinstance(value, ast.Dict):  # DATABASES, CACHES, and any other table of settings
        for key, item in zip(value.keys, value.values, strict=False):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                yield from _secrets_in((*where, key.value), item)
    elif isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict":
        for keyword in value.keywords:
            if keyword.arg:
                yield from _secrets_in((*where, keyword.arg), keyword.value)


def env_name(where: tuple[str, ...]) -> str:
    """The environment variable a hint suggests: DJANGO_SECRET_KEY, DATABASE_PASSWORD, EMAIL_HOST_PASSWORD."""
    if where == ("SECRET_KEY",):
        return "DJANGO_SECRET_KEY"
    first = {"DATABASES": "DATABASE", "CACHES": "CACHE"}.get(where[0], where[0])
    rest = [w for w in where[1:] if w not in ("default", "OPTIONS")]
    return re.sub(r"[^A-Z0-9]+", "_", "_".join([first, *rest]).upper()).strip("_")


def _settings_hint(secret: SettingSecret) -> str:
    env = env_name(secret.where)
    if len(secret.where) == 1:
        line = f'{secret.where[0]} = os.environ["{env}"]'
    else:
        line = f'"{secret.where[-1]}": os.environ["{env}"],'
    return (
        f"read it from the environment: {line}\n"
        f'(or env("{env}") with django-environ, config("{env}") with python-decouple)'
    )


def _settings_sources(context: Context) -> list[PySource]:
    configured = context.config.settings
    sources = python_sources(context, lambda path: is_settings_module(path, configured))
    return [s for s in sources.values() if s.parsed]


def _reported(source: PySource) -> list[SettingSecret]:
    return [s for s in settings_secrets(source) if source.is_added(s.line) and secret_like(s)]


def secret_like(secret: SettingSecret) -> bool:
    """Does the value look like a secret? Not a template placeholder (`{{ db_password }}`), nor, under a
    name whose only secret word is KEY (`CELERY_TASK_DEFAULT_ROUTING_KEY`), a name such as 'task.default'."""
    from djgate.rules import secretvalues  # only for a literal found in a settings module

    value = secret.value.strip()
    if secretvalues.is_templated(value):
        return False
    name_words = secretvalues.words(secret.where[-1])
    if name_words[-1:] == ["key"] and not set(name_words[:-1]) & KEY_SECRET_WORDS:
        return not IDENTIFIER.fullmatch(value)
    return True


def is_test_settings(path: str) -> bool:
    """settings/test*.py, test_settings.py, *_testing.py, settings_ci.py, tests/settings.py: the settings of
    a test run, whose literal credentials are for throw-away services (DJG402 gives a notice there)."""
    parts = path[:-3].lower().split("/")
    words = set(re.split(r"[^a-z0-9]+", parts[-1]))
    if parts[-1] in ("settings", "__init__") and len(parts) > 1:
        words |= set(re.split(r"[^a-z0-9]+", parts[-2]))
    return bool(words & TEST_SETTINGS_WORDS) or any(w.startswith("test") for w in words if w != "settings")


def _settings_lines(context: Context) -> dict[tuple[str, int], bool]:
    """The lines DJG402 reports, when it is on, and whether it blocks there (DJG401 leaves them to it)."""
    if not context.config.enabled("DJG402"):
        return {}
    return {
        (source.path, s.line): not is_test_settings(source.path)
        for source in _settings_sources(context)
        for s in _reported(source)
    }


@rule(
    "DJG402",
    "settings-secret",
    summary="A Django settings module assigns a secret as a literal.",
    why="""
        Settings modules are committed and shared; a literal SECRET_KEY signs every session and
        password-reset token, and database or e-mail passwords there reach everyone with the code.
        `django-insecure-` keys from `startproject` are meant to be replaced before anything is deployed.
    """,
    fix="""
        Read the value from the environment, as the hint shows, and rotate it if it was ever pushed.
        An empty string passes (a development default); so does any value read from the environment,
        unless its fallback is a generated `django-insecure-` key.
    """,
    bad="""
        SECRET_KEY = "django-insecure-9x#f2k..."
        DATABASES = {"default": {"ENGINE": "...postgresql", "PASSWORD": "hunter2"}}
    """,
    good="""
        SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
        DATABASES = {"default": {"ENGINE": "...postgresql", "PASSWORD": os.environ["DATABASE_PASSWORD"]}}
    """,
)
def settings_secret(context: Context) -> Iterator[Finding]:
    """In settings modules (`settings.py`, `settings_*.py`, `*_settings.py`, modules of a `settings/`
    package, and the configured `settings` module), an added module-level assignment of a literal to
    SECRET_KEY or SECRET_KEY_FALLBACKS, to any setting or dict key whose name ends in PASSWORD, PASS,
    SECRET, TOKEN or KEY (EMAIL_HOST_PASSWORD, AWS_SECRET_ACCESS_KEY, DATABASES' and CACHES' PASSWORD),
    or a `django-insecure-` key as the fallback of an environment read. Found statically; empty strings
    and template placeholders (`"{{ db_password }}"`) pass. A name whose only secret word is KEY needs a
    secret-like value (`CELERY_TASK_DEFAULT_ROUTING_KEY = "task.default"` names a route). In a test settings
    module (`settings/test*.py`, `test_settings.py`, `*_testing.py`, `settings_ci.py`, `tests/settings.py`)
    literal credentials are for throw-away services: a notice."""
    for source in _settings_sources(context):
        test = is_test_settings(source.path)
        for secret in _reported(source):
            name = " / ".join(secret.where)
            what = "has a django-insecure key as its fallback" if secret.fallback else "is a literal"
            message = f"{name} {what}: {masked(secret.value)}"
            if test:
                message += ", in a test settings module (a notice)"
            yield Finding(
                "DJG402",
                message,
                severity="notice" if test else "error",
                path=source.path,
                line=secret.line,
                hint=_settings_hint(secret),
            )


@rule(
    "DJG404",
    "debug-on",
    severity="warning",
    summary="DEBUG = True is added to a settings module that is not a development one.",
    why="""
        With DEBUG on, a production error page shows settings, environment and source to anyone who
        triggers it, and Django keeps every SQL query in memory.
    """,
    fix="""
        Read it from the environment (`DEBUG = os.environ.get("DJANGO_DEBUG") == "1"`), or set it in a
        development module (settings/dev.py, local_settings.py), which this rule leaves alone.
    """,
    bad="DEBUG = True  # in settings/production.py",
    good='DEBUG = os.environ.get("DJANGO_DEBUG") == "1"',
)
def debug_on(context: Context) -> Iterator[Finding]:
    """A module-level `DEBUG = True` on an added line of a settings module whose name is not development-,
    local- or test-like (dev, development, local, test, tests, testing, ci)."""
    import ast

    for source in _settings_sources(context):
        if is_dev_settings(source.path):
            continue
        for stmt in _module_level(source.outline.body if source.outline else []):
            if (
                isinstance(stmt, (ast.Assign, ast.AnnAssign))
                and any(_target_path(t) == ("DEBUG",) for t in _targets(stmt))
                and isinstance(stmt.value, ast.Constant)
                and stmt.value.value is True
                and source.is_added(stmt.lineno)
            ):
                yield Finding(
                    "DJG404",
                    "DEBUG = True in a settings module that is not a development one",
                    path=source.path,
                    line=stmt.lineno,
                    hint=DEBUG_HINT,
                )


DEBUG_HINT = 'DEBUG = os.environ.get("DJANGO_DEBUG") == "1"  (or set it in a dev/local settings module)'


def _targets(stmt: Any) -> list[ast.expr]:
    return list(stmt.targets) if hasattr(stmt, "targets") else [stmt.target]


# -- DJG403, DJG405: files ------------------------------------------------------------------------------


def is_env_file(path: str) -> bool:
    name = posixpath.basename(path).lower()
    return name == ".env" or name.startswith(".env.")


def is_secret_file(path: str) -> bool:
    """.env and .env.* (not templates such as .env.example), *.pem, *.key, *.p12, *.pfx, private SSH keys."""
    name = posixpath.basename(path).lower()
    if is_env_file(name):
        return not name.endswith(ENV_TEMPLATE_SUFFIXES)
    if name.endswith(KEY_FILE_SUFFIXES):
        return True
    return name.startswith(SSH_KEY_PREFIXES) and not name.endswith(".pub")


@rule(
    "DJG403",
    "secret-file",
    summary="An environment file or a private key file is added.",
    why="""
        `.env` files and key files hold secrets by design; once committed they stay in the history. A
        template with placeholders (`.env.example`) documents the variables without leaking them.
    """,
    fix="""
        Unstage the file (`git rm --cached -- PATH`), add it to .gitignore, and commit a template with
        placeholder values instead (.env.example). Rotate what it held if it was ever pushed.
    """,
    bad="git add .env deploy/server.key",
    good="git add .env.example",
)
def secret_file(context: Context) -> Iterator[Finding]:
    """An added (or copied, or renamed into such a name) `.env` or `.env.*` file (not `.env.example`,
    `.env.sample`, `.env.template`, `.env.dist`), `*.pem`, `*.key`, `*.p12`, `*.pfx`, or private SSH key
    (`id_rsa*`, `id_ed25519*`, `id_ecdsa*`, `id_dsa*`, not `.pub`). Judged by name: binary files too."""
    for change in _added_files(context.changeset):
        if not is_secret_file(change.path):
            continue
        if change.status == "R" and change.old_path and is_secret_file(change.old_path):
            continue  # renamed, not added: it was committed before
        if context.changeset.source == "staged":
            action = f"git rm --cached -- {change.path}"
        else:
            action = "remove it from the commit"
        yield Finding(
            "DJG403",
            f"{posixpath.basename(change.path)} is a file of secrets and must not be committed",
            path=change.path,
            hint=f"{action}; add it to .gitignore; commit a template with placeholder values instead",
        )


def gitignore_ignores(text: str, path: str) -> bool | None:
    """What one .gitignore says of a path relative to its directory: True ignored, False re-included
    (`!`), None silent. The last matching pattern wins, as in git."""
    verdict = None
    for raw in text.splitlines():
        pattern = raw.rstrip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern[1:] if negated else pattern
        if pattern.startswith("\\"):
            pattern = pattern[1:]
        if pattern.endswith("/"):
            continue  # a directory pattern never matches the file itself
        if GlobSet([pattern]).match(path):
            verdict = not negated
    return verdict


def env_is_ignored(env_path: str, gitignores: dict[str, bytes]) -> bool:
    """Do the .gitignore files from the root down to its directory ignore this path?"""
    ignored = False
    directory = posixpath.dirname(env_path)
    parts = directory.split("/") if directory else []
    for depth in range(len(parts) + 1):
        base = "/".join(parts[:depth])
        data = gitignores.get(posixpath.join(base, ".gitignore"))
        if data is None:
            continue
        verdict = gitignore_ignores(data.decode("utf-8", "replace"), env_path[len(base) + 1 if base else 0 :])
        if verdict is not None:
            ignored = verdict
    return ignored


@rule(
    "DJG405",
    "env-not-ignored",
    severity="warning",
    summary="The change adds an environment file while .env is not git-ignored.",
    why="""
        Where one `.env` file is committed (or a template invites developers to create one), a `.env` that
        .gitignore does not name is one `git add .` away from the history.
    """,
    fix="Add `.env` to the repository's .gitignore (and commit it).",
    bad="git add .env.example   # .gitignore does not name .env",
    good="printf '.env\\n' >> .gitignore && git add .gitignore .env.example",
)
def env_not_ignored(context: Context) -> Iterator[Finding]:
    """When the change adds a `.env` or `.env.*` file (templates included), the `.env` next to it must be
    ignored by the repository's .gitignore files (the root one and those on the way down to it)."""
    envs = sorted(
        {
            posixpath.join(posixpath.dirname(c.path), ".env")
            for c in _added_files(context.changeset)
            if is_env_file(c.path)
        }
    )
    if not envs:
        return
    wanted = set()
    for env in envs:
        parts = env.split("/")[:-1]
        wanted |= {posixpath.join(*parts[:depth], ".gitignore") for depth in range(len(parts) + 1)}
    gitignores = context.path_contents(sorted(wanted))
    for env in envs:
        if not env_is_ignored(env, gitignores):
            yield Finding(
                "DJG405",
                f"{env} is not ignored by git: a developer's .env is one `git add .` away from a commit",
                path=".gitignore",
                hint="add a line `.env` to .gitignore (it ignores a .env in every directory)",
            )
