"""djgate's diagnostics (`djgate -v`), through the standard `logging` module, which is imported only when
something wants the records: `-v` turns them on, and a program that imports djgate and configures
logging gets them under the "djgate" logger. A hook run without `-v` never imports it (on every commit's
path, `import logging` costs more than a git call)."""

from __future__ import annotations

import sys

NAME = "djgate"


def enable_verbose() -> None:
    """Show every diagnostic on stderr (`djgate -v`)."""
    import logging

    logging.basicConfig(level=logging.DEBUG, format="djgate: %(message)s")


def debug(msg: str, *args: object, exc_info: bool = False) -> None:
    """logging.getLogger("djgate").debug(...), when logging is in use (imported by anyone)."""
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.getLogger(NAME).debug(msg, *args, exc_info=exc_info)
