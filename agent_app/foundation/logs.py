"""Rotating log files, one line per event, every line passed through the PHI redactor.

Also installs the crash writers: an uncaught Python exception (any thread) becomes a
redacted crash file beside the logs, and a native abort (a pjsua2 assertion, say)
leaves a faulthandler stack dump, which holds code locations only. Log and crash files are
owner-only (0600) from creation.
"""

from __future__ import annotations

import faulthandler
import io
import logging
import logging.handlers
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import IO

from agent_app.foundation.redaction import redact

LOG_FORMAT = "%(asctime)s %(levelname)s %(process)d %(threadName)s %(name)s: %(message)s"
_fault_state: dict[str, IO[str]] = {}


class RedactingFormatter(logging.Formatter):
    """Formats a record on one line and scrubs its message and exception text."""

    def format(self, record: logging.LogRecord) -> str:
        message = redact(record.getMessage())
        if record.exc_info:
            exc_text = redact(self.formatException(record.exc_info))
            message = f"{message} | {exc_text}"
        if record.stack_info:
            message = f"{message} | {redact(record.stack_info)}"
        saved = record.msg, record.args, record.exc_info, record.exc_text, record.stack_info
        record.msg, record.args, record.exc_info, record.exc_text, record.stack_info = (
            message.replace("\r", " ").replace("\n", " ⏎ "),
            None,
            None,
            None,
            None,
        )
        try:
            return super().format(record)
        finally:
            record.msg, record.args, record.exc_info, record.exc_text, record.stack_info = saved


_PRIVATE = 0o600


def _open_private(path: Path | str, flags: int) -> int:
    """A file descriptor of ``path``, owner-only from creation (logs may quote ids and times
    of patient work; another account on the workstation has no business reading them)."""
    descriptor = os.open(path, flags | os.O_CREAT, _PRIVATE)
    if hasattr(os, "fchmod"):
        os.fchmod(descriptor, _PRIVATE)  # a file an older version made with the umask's mode
    return descriptor


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Every file it opens, the first and each after rotation, is owner-only."""

    def _open(self) -> io.TextIOWrapper:
        descriptor = _open_private(self.baseFilename, os.O_WRONLY | os.O_APPEND)
        return os.fdopen(descriptor, "a", encoding=self.encoding, errors=self.errors)


def setup_logging(
    directory: Path,
    *,
    level: str = "INFO",
    max_bytes: int = 5 * 1024 * 1024,
    backups: int = 5,
    filename: str = "pulse-agent.log",
    stderr: bool = False,
) -> Path:
    """Attach the redacting rotating file handler to the root logger; return the log path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_pulse", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = _PrivateRotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
    )
    handlers: list[logging.Handler] = [file_handler]
    if stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    formatter = RedactingFormatter(LOG_FORMAT)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler._pulse = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    return path


def active_log() -> tuple[Path, str] | None:
    """The directory and level this process logs to (None before :func:`setup_logging`), so
    that a child process it starts can write its own log beside it."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_pulse", False) and isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename).parent, logging.getLevelName(root.level)
    return None


def log_arguments(log: tuple[Path, str] | None) -> list[str]:
    """The options that give a child process (the engine, the secrets helper) ``log``: the
    directory and level of :func:`active_log`."""
    return [] if log is None else ["--log-dir", str(log[0]), "--log-level", log[1]]


def log_from_arguments(args: list[str]) -> tuple[Path, str] | None:
    """In the child: the directory and level :func:`log_arguments` gave (None without)."""

    def option(name: str) -> str | None:
        at = args.index(name) if name in args else -1
        return args[at + 1] if 0 <= at < len(args) - 1 else None

    directory = option("--log-dir")
    return None if directory is None else (Path(directory), option("--log-level") or "WARNING")


def start_child_logging(args: list[str], *, filename: str, prefix: str) -> bool:
    """In a child process: log to ``filename`` and write crash files (``prefix``) in the
    directory its options name (:func:`log_arguments`). False when they name none, or when
    the directory cannot be written: the child's work goes on without a log file."""
    target = log_from_arguments(args)
    if target is None:
        return False
    try:
        setup_logging(target[0], level=target[1], filename=filename)
        install_crash_handlers(target[0], prefix=prefix)
    except (OSError, ValueError):
        return False
    return True


def write_crash_file(
    directory: Path,
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
    *,
    prefix: str = "",
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    # Digits glued to letters: the redactor leaves the name whole in the log line that
    # points IT to the file (a bare run of seven digits or more reads as a phone number).
    stamp = f"{time.strftime('%Y%m%dT%H%M%S')}-t{threading.get_ident()}"
    path = directory / f"{prefix}crash-{stamp}.txt"
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    descriptor = _open_private(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(redact(text))
    return path


def install_crash_handlers(directory: Path, *, prefix: str = "") -> None:
    """Uncaught exceptions → redacted crash file + log line; native aborts → stack dump.

    ``prefix`` starts the files' names (a child process's own, beside the app's)."""
    directory.mkdir(parents=True, exist_ok=True)
    log = logging.getLogger("pulse.crash")

    def on_exception(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        path = write_crash_file(directory, exc_type, exc, tb, prefix=prefix)
        log.critical(
            "uncaught %s; crash file %s", exc_type.__name__, path.name, exc_info=(exc_type, exc, tb)
        )

    def on_thread_exception(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            on_exception(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = on_exception
    threading.excepthook = on_thread_exception
    if "file" not in _fault_state:
        # Kept open for the life of the process: faulthandler writes to it from a signal handler.
        native = directory / f"{prefix}native-crash.txt"
        descriptor = _open_private(native, os.O_WRONLY | os.O_APPEND)
        _fault_state["file"] = os.fdopen(descriptor, "a", encoding="utf-8")
        faulthandler.enable(_fault_state["file"])
