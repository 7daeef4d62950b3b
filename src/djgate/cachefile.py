"""djgate's cache files, in its directory of the git dir: marshal (loading costs next to nothing), written
atomically; a file that cannot be read is empty, one that cannot be written only costs time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from djgate import log


def load(path: Path) -> dict[str, Any]:
    import marshal

    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def store(path: Path, data: dict[str, Any]) -> bool:
    """Write atomically; False when it cannot be written (a cache that cannot be written only costs time)."""
    import marshal

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(marshal.dumps(data))
        os.replace(tmp, path)
    except (OSError, ValueError) as exc:
        log.debug("cannot write the cache %s: %s", path, exc)
        return False
    return True
