"""Compiles a Qt Linguist ``.ts`` translation source into the binary ``.qm`` that QTranslator
loads, in plain Python, so that building the wheel needs no Qt (decision 0026).

Only what the app uses is written: each finished message with its context, source text,
disambiguation comment and translation, and the hash table QTranslator searches. Plural
forms are written as their first form; unfinished, obsolete and vanished messages are left
out, as ``lrelease`` does by default.
"""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

_MAGIC = bytes.fromhex("3cb86418caef9c95cd211cbf60a1bddd")
# Block tags and message tags of the format (qtbase src/corelib/kernel/qtranslator.cpp).
_HASHES, _MESSAGES, _LANGUAGE = 0x42, 0x69, 0xA7
_END, _TRANSLATION, _SOURCE, _CONTEXT, _COMMENT = 1, 3, 6, 7, 8
_SKIPPED = {"unfinished", "obsolete", "vanished"}


@dataclass(frozen=True)
class Message:
    context: str
    source: str
    comment: str
    translation: str


def read_ts(path: Path) -> tuple[str, list[Message]]:
    """The target language and the finished messages of a ``.ts`` file."""
    root = ET.parse(path).getroot()  # noqa: S314  (our own source file, not untrusted input)
    messages = []
    for context in root.iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            node = message.find("translation")
            if node is None or node.get("type") in _SKIPPED:
                continue
            forms = node.findall("numerusform")
            text = (forms[0].text or "") if forms else (node.text or "")
            if not text:
                continue
            messages.append(
                Message(
                    name,
                    message.findtext("source") or "",
                    message.findtext("comment") or "",
                    text,
                )
            )
    return root.get("language", ""), messages


def _elf_hash(data: bytes) -> int:
    h = 0
    for byte in data:
        h = ((h << 4) + byte) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h or 1


def _field(tag: int, data: bytes) -> bytes:
    return struct.pack(">BI", tag, len(data)) + data


def compile_messages(language: str, messages: list[Message]) -> bytes:
    """The ``.qm`` bytes for ``messages``."""
    body = bytearray()
    hashes: list[tuple[int, int]] = []
    for message in messages:
        source = message.source.encode()
        comment = message.comment.encode()
        hashes.append((_elf_hash(source + comment), len(body)))
        body += _field(_TRANSLATION, message.translation.encode("utf-16-be"))
        body += _field(_CONTEXT, message.context.encode())
        body += _field(_SOURCE, source)
        if comment:
            body += _field(_COMMENT, comment)
        body += bytes([_END])
    table = b"".join(struct.pack(">II", h, offset) for h, offset in sorted(hashes))
    out = bytearray(_MAGIC)
    if language:
        out += _field(_LANGUAGE, language.encode())
    out += _field(_HASHES, table)
    out += _field(_MESSAGES, bytes(body))
    return bytes(out)


def compile_ts(path: Path) -> bytes:
    return compile_messages(*read_ts(path))


def write_qm(ts: Path, qm: Path) -> None:
    qm.parent.mkdir(parents=True, exist_ok=True)
    qm.write_bytes(compile_ts(ts))


def main(argv: list[str] | None = None) -> int:
    """``python -m agent_app.foundation.qm OUT_DIR FILE.ts...``: one ``.qm`` per source."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        print("usage: python -m agent_app.foundation.qm OUT_DIR FILE.ts...", file=sys.stderr)
        return 2
    out = Path(args[0])
    for name in args[1:]:
        ts = Path(name)
        write_qm(ts, out / (ts.stem + ".qm"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
