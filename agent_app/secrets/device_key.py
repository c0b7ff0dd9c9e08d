"""This workstation's enrolled key: an Ed25519 pair made at enrolment, the private half kept in
the OS keyring. Sign-ins and refreshes carry a signature by it, so that the device-id file
copied to another machine signs nobody in.

The key itself lives only in the process that holds the keyring: the enrolment command, or
the desk's secrets helper (:mod:`agent_app.secrets.helper`), which signs for the desk."""

from __future__ import annotations

import base64
import logging
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from agent_app.secrets.errors import SecretStoreError
from agent_app.secrets.protocols import Secrets

log = logging.getLogger(__name__)

KEYRING_ENTRY = "workstation.device-key"


class DeviceKey:
    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode("ascii")

    def __repr__(self) -> str:  # the private key never reaches a log line
        return f"DeviceKey(public_key={self.public_key!r})"

    @classmethod
    def load(cls, secrets: Secrets) -> DeviceKey | None:
        """The enrolled key, or None when this workstation has none (or it is unreadable)."""
        try:
            stored = secrets.get(KEYRING_ENTRY)
        except SecretStoreError as exc:
            # Signing in then fails with the server's own reason, and the keyring's problem is
            # reported where the desk reads its other secrets.
            log.warning("device key not read: %s", exc)
            return None
        if not stored:
            return None
        try:
            return cls(Ed25519PrivateKey.from_private_bytes(base64.b64decode(stored)))
        except ValueError:
            return None

    @classmethod
    def generate(cls) -> DeviceKey:
        """A new pair, not kept yet: :meth:`save` it once the server has registered it, so a
        failed enrolment leaves an earlier key in place."""
        return cls(Ed25519PrivateKey.generate())

    def save(self, secrets: Secrets) -> None:
        secrets.set(KEYRING_ENTRY, base64.b64encode(self._raw_private()).decode("ascii"))

    def _raw_private(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        return self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self._private.sign(message)).decode("ascii")

    @staticmethod
    def now() -> int:
        return int(time.time())
