"""What the desk reads from the cache besides patients: each campaign's transfer directory and
settings (after-call work time, calling window), the not-ready reasons, and the agent's phone
account (its non-secret part).

The directory travels inside the campaign documents and the reasons are documents of their
own feed, so both are applied in the transaction of their feed page and cursor, like every
synced row, and a rebuilt cache gets them back with its first snapshot. The phone account is
not a feed: the sign-in fetches it (:mod:`agent_app.sync.phone_account`) and keeps it in the
cache's ``meta`` table, so that an offline sign-in still knows it; its password is only in the
keyring. None of this is PHI, so these reads work while lookups are locked for an offline
spell that lasted too long.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from agent_app.store.cache import PatientCache

log = logging.getLogger(__name__)

TRANSPORTS = ("udp", "tcp", "tls")
_PHONE_ACCOUNT = "phone_account"


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """A transfer target of a campaign (a nurse line, an interpreter, billing, a lead)."""

    label: str
    number: str
    """A number, an internal extension, a SIP user name or a ``sip:`` address."""
    kind: str  # nurse_line | interpreter | billing | supervisor | other
    language: str | None
    warm_allowed: bool


DEFAULT_WRAP_UP_S = 60
"""A campaign document without ``wrap_up_s`` (from a server before it existed) gets the
server's own default."""
MAX_WRAP_UP_S = 3600


@dataclass(frozen=True, slots=True)
class CampaignSettings:
    """What a campaign sets for the desk's handling of its calls."""

    campaign_id: str
    wrap_up_s: int
    """After-call work time, in seconds; 0: no countdown."""
    window_start: str
    window_end: str
    """The calling window ("HH:MM", the patient's local time)."""


@dataclass(frozen=True, slots=True)
class NotReadyReason:
    code: str
    label: str
    productive: bool
    """Time in this state counts as productive (training, coaching) or not (a break)."""


@dataclass(frozen=True, slots=True)
class PhoneAccount:
    """The agent's SIP account as the server assigned it; the password is in the keyring."""

    username: str
    domain: str
    registrar: str
    transport: str  # udp | tcp | tls
    password_version: int


def directory(cache: PatientCache, campaign_id: str | None) -> list[DirectoryEntry]:
    """The campaign's transfer targets in the server's order; [] for an unknown campaign.

    ``None``: every campaign's, each number once (a call whose campaign is not known yet).
    """
    if campaign_id is None:
        rows = cache.reader.query(
            "SELECT id, body FROM documents WHERE feed = 'campaigns' ORDER BY id"
        )
    else:
        rows = cache.reader.query(
            "SELECT id, body FROM documents WHERE feed = 'campaigns' AND id = ?", (campaign_id,)
        )
    found: list[DirectoryEntry] = []
    numbers: set[str] = set()
    for campaign, body in rows:
        entries = json.loads(body).get("directory") or []
        for raw in entries if isinstance(entries, list) else []:
            entry = _directory_entry(raw)
            if entry is None:
                log.warning("campaign %s: a malformed directory entry was left out", campaign)
                continue
            if entry.number not in numbers:
                numbers.add(entry.number)
                found.append(entry)
    return found


def campaign_settings(cache: PatientCache, campaign_id: str) -> CampaignSettings | None:
    """The campaign's settings as last synced; None for a campaign the cache does not have."""
    rows = cache.reader.query(
        "SELECT body FROM documents WHERE feed = 'campaigns' AND id = ?", (campaign_id,)
    )
    if not rows:
        return None
    raw = json.loads(rows[0][0])
    wrap_up = raw.get("wrap_up_s", DEFAULT_WRAP_UP_S)
    if isinstance(wrap_up, bool) or not isinstance(wrap_up, int) or wrap_up < 0:
        log.warning("campaign %s: malformed wrap_up_s, the default applies", campaign_id)
        wrap_up = DEFAULT_WRAP_UP_S
    window = raw.get("calling_window")
    start, end = "08:00", "21:00"
    if isinstance(window, dict):
        given_start, given_end = window.get("start"), window.get("end")
        start = given_start if isinstance(given_start, str) else start
        end = given_end if isinstance(given_end, str) else end
    return CampaignSettings(campaign_id, min(wrap_up, MAX_WRAP_UP_S), start, end)


def _directory_entry(raw: Any) -> DirectoryEntry | None:
    if not isinstance(raw, dict):
        return None
    label, number, kind = raw.get("label"), raw.get("number"), raw.get("kind")
    language, warm = raw.get("language"), raw.get("warm_allowed")
    if not all(isinstance(v, str) and v for v in (label, number, kind)):
        return None
    if language is not None and not isinstance(language, str):
        return None
    if not isinstance(warm, bool):
        return None
    return DirectoryEntry(str(label), str(number), str(kind), language, warm)


def not_ready_reasons(cache: PatientCache) -> list[NotReadyReason]:
    """The reasons in the order the desk shows them."""
    rows = cache.reader.query("SELECT body FROM documents WHERE feed = 'not_ready_reasons'")
    ordered: list[tuple[int, str, NotReadyReason]] = []
    for (body,) in rows:
        raw = json.loads(body)
        code, label = raw.get("code"), raw.get("label")
        position, productive = raw.get("position", 0), raw.get("productive")
        if not (isinstance(code, str) and code and isinstance(label, str) and label):
            log.warning("not-ready reason %s left out: malformed", raw.get("id", "<no id>"))
            continue
        if not isinstance(position, int) or not isinstance(productive, bool):
            log.warning("not-ready reason %s left out: malformed", code)
            continue
        ordered.append((position, code, NotReadyReason(code, label, productive)))
    ordered.sort(key=lambda item: (item[0], item[1]))
    return [reason for _, _, reason in ordered]


def phone_account(cache: PatientCache) -> PhoneAccount | None:
    rows = cache.reader.query("SELECT value FROM meta WHERE key = ?", (_PHONE_ACCOUNT,))
    if not rows:
        return None
    try:
        raw = json.loads(rows[0][0])
        account = PhoneAccount(
            username=str(raw["username"]),
            domain=str(raw["domain"]),
            registrar=str(raw["registrar"]),
            transport=str(raw["transport"]),
            password_version=int(raw["password_version"]),
        )
    except (ValueError, KeyError, TypeError):
        log.warning("the cached phone account is unreadable; it is ignored")
        return None
    return account if account.transport in TRANSPORTS else None


def save_phone_account(cache: PatientCache, account: PhoneAccount | None) -> None:
    """Keep the account (None: forget it, the agent has no extension any more)."""
    with cache.writer.transaction() as conn:
        if account is None:
            conn.execute("DELETE FROM meta WHERE key = ?", (_PHONE_ACCOUNT,))
            return
        body = {
            "username": account.username,
            "domain": account.domain,
            "registrar": account.registrar,
            "transport": account.transport,
            "password_version": account.password_version,
        }
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            (_PHONE_ACCOUNT, json.dumps(body, separators=(",", ":"))),
        )
