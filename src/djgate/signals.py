"""The signals that end djgate end it through Python, so that its cleanups run."""

from __future__ import annotations


def exit_through_python() -> None:
    """Make SIGTERM and SIGHUP raise SystemExit (128 + the signal), as SIGINT raises KeyboardInterrupt, so
    that `finally` blocks run: a temporary copy of a tree removed, a probe or a process judging part of a
    range stopped. Leaves alone a handler someone else set, and does nothing outside the main thread."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    for number in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(number) == signal.SIG_DFL:
            signal.signal(number, _exit_on_signal)


def _exit_on_signal(number: int, frame: object) -> None:
    raise SystemExit(128 + number)
