"""Fail a test that logs an error it did not expect.

A test that means to provoke an error marks itself ``@pytest.mark.allow_log_errors``
(or checks the record with ``caplog``, and then marks itself too).
"""

from __future__ import annotations

import logging


class ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def describe(self) -> str:
        return "\n".join(f"{r.levelname} {r.name}: {r.getMessage()}" for r in self.records)
