"""The PHI redactor, on its own and behind the log files and the crash writer."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from agent_app.foundation.logs import setup_logging, write_crash_file
from agent_app.foundation.redaction import Redactor

# Synthetic PHI only: invented names, reserved 555 numbers, made-up identifiers.
SYNTHETIC = {
    "name": "Quillon Marbury",
    "phone_e164": "+15555550143",
    "phone_national": "(555) 555-0143",
    "dob": "1961-04-17",
    "dob_us": "04/17/1961",
    "mrn": "MRN-77120045",
    "address": "4410 Larkspur Avenue",
    "email": "q.marbury@example.org",
    "ssn": "900-12-3456",
}


@pytest.fixture
def redactor() -> Redactor:
    r = Redactor()
    r.register([SYNTHETIC["name"], "Quillon", "Marbury"])
    return r


@pytest.mark.parametrize("key", sorted(SYNTHETIC))
def test_each_kind_of_phi_is_removed(redactor: Redactor, key: str) -> None:
    text = redactor.redact(f"lookup failed for {SYNTHETIC[key]} in campaign 12")
    assert SYNTHETIC[key] not in text
    assert "campaign 12" in text


def test_ids_and_small_numbers_survive(redactor: Redactor) -> None:
    text = "record 4711 call 9f1c2e6a-77d0-4f55-9a4b-5f0c1d2e3a4b sip 486 after 12.5 s"
    assert redactor.redact(text) == text


def test_key_value_pairs_are_redacted(redactor: Redactor) -> None:
    text = redactor.redact("patient first_name='Zed' dob=2001-02-03 id=88")
    assert "Zed" not in text and "2001" not in text and "id=88" in text


@pytest.mark.allow_log_errors
def test_logs_and_crash_files_hold_no_phi(tmp_path: Path) -> None:
    from agent_app.foundation.redaction import register_phi

    register_phi(SYNTHETIC["name"])
    log_path = setup_logging(tmp_path / "logs", level="DEBUG")
    log = logging.getLogger("pulse.test.phi")
    for value in SYNTHETIC.values():
        log.info("screen-pop for %s", value)
        log.warning("caller %s not found", value)
    try:
        raise ValueError(
            f"bad row for {SYNTHETIC['name']} {SYNTHETIC['phone_e164']} {SYNTHETIC['dob']}"
        )
    except ValueError as exc:
        log.exception("store failed")
        crash = write_crash_file(tmp_path / "logs", type(exc), exc, exc.__traceback__)
    for handler in logging.getLogger().handlers:
        handler.flush()
    written = [p for p in (tmp_path / "logs").iterdir() if p.is_file()]
    assert log_path in written and crash in written
    for path in written:
        content = path.read_text(encoding="utf-8")
        assert "screen-pop for" in content or path == crash
        for value in SYNTHETIC.values():
            assert value not in content, f"{path.name} leaks a synthetic {value[:2]}…"
    lines = log_path.read_text(encoding="utf-8").splitlines()
    assert all(line[:4].isdigit() for line in lines), "every event is on one line"


def test_a_name_seen_again_stays_known_while_newer_ones_push_old_ones_out() -> None:
    from agent_app.foundation import redaction

    r = Redactor()
    r.register(["Quillon", " Marbury "])
    for n in range(redaction._MAX_KNOWN - 2):
        r.register([f"Zz{n:05d}"])
    r.register(["Quillon"])  # seen again: the newest now
    r.register(["Zzlast1", "Zzlast2"])  # two more: the two oldest go
    text = r.redact("Quillon Marbury Zz00000 Zz00001 Zzlast2")
    assert text == "[redacted] Marbury Zz00000 [redacted] [redacted]"


def test_clearing_forgets_every_registered_value() -> None:
    redactor = Redactor()
    redactor.register(["Quixotegiven", "Zyxwvutfamily"])
    assert redactor.redact("saw Quixotegiven") == "saw [redacted]"
    redactor.clear()
    assert redactor.known_count() == 0
    assert redactor.redact("saw Quixotegiven") == "saw Quixotegiven"


@pytest.mark.allow_log_errors
def test_log_and_crash_files_are_owner_only(tmp_path: Path) -> None:
    import os
    import stat

    previous = os.umask(0o022)
    try:
        directory = tmp_path / "logs"
        log_path = setup_logging(directory, level="INFO", max_bytes=64 * 1024, backups=2)
        log = logging.getLogger("pulse.test.modes")
        for n in range(3000):  # enough to rotate at least once
            log.info("line %d of filler text for rotation", n)
        try:
            raise ValueError("boom")
        except ValueError as exc:
            crash = write_crash_file(directory, type(exc), exc, exc.__traceback__)
    finally:
        os.umask(previous)
    written = sorted(p for p in directory.iterdir() if p.is_file())
    assert log_path in written and crash in written
    assert log_path.with_name(log_path.name + ".1") in written
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_child_process_learns_where_the_app_logs(tmp_path: Path) -> None:
    from agent_app.foundation.logs import active_log

    assert active_log() is None
    setup_logging(tmp_path / "logs", level="INFO")
    assert active_log() == (tmp_path / "logs", "INFO")


def test_the_log_options_a_child_gets_are_the_ones_it_reads(tmp_path: Path) -> None:
    from agent_app.foundation.logs import log_arguments, log_from_arguments

    given = log_arguments((tmp_path / "logs", "DEBUG"))
    assert log_from_arguments(["--token-stdin", *given]) == (tmp_path / "logs", "DEBUG")
    assert log_arguments(None) == []
    assert log_from_arguments(["--token-stdin"]) is None
    assert log_from_arguments(["--log-dir"]) is None  # a name without its value
    assert log_from_arguments(["--log-dir", str(tmp_path)]) == (tmp_path, "WARNING")


def test_a_crash_file_is_named_whole_in_the_log(tmp_path: Path) -> None:
    """The log line that points IT to a crash file keeps its name: the redactor takes a bare
    run of seven digits or more for a phone number."""
    from agent_app.foundation.redaction import redact

    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        crash = write_crash_file(tmp_path, type(exc), exc, exc.__traceback__, prefix="engine-")
    assert crash.name.startswith("engine-crash-")
    assert redact(f"uncaught RuntimeError; crash file {crash.name}").endswith(crash.name)
