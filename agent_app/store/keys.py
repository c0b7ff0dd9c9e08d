"""Store keys: random 256-bit, made at provisioning, kept only in the OS keyring.

One key per store file (cache, journal), per agent and workstation. Keys are used raw
(``PRAGMA key = "x'...'"``): no key derivation at each open, no passphrase anywhere.
A rotation first parks the new key under a ``:next`` name, rekeys the file, then
promotes it, so a crash between any two steps leaves a key that opens the file.
Key values never appear in logs, exception text, process arguments or files.
"""

from __future__ import annotations

import secrets

from agent_app.secrets.protocols import Secrets

STORES = ("cache", "journal")


def new_key() -> str:
    return secrets.token_bytes(32).hex()


class StoreKeys:
    def __init__(self, secret_store: Secrets, agent_id: str, workstation_id: str) -> None:
        self._secrets = secret_store
        self._owner = f"{agent_id}@{workstation_id}"

    def name(self, store: str, *, pending: bool = False) -> str:
        if store not in STORES:
            raise ValueError(f"unknown store {store!r}")
        return f"store-key:{store}:{self._owner}" + (":next" if pending else "")

    def get(self, store: str) -> str | None:
        return self._secrets.get(self.name(store))

    def pending(self, store: str) -> str | None:
        return self._secrets.get(self.name(store, pending=True))

    def create(self, store: str) -> str:
        """A fresh key for a new file, replacing any older one."""
        key = new_key()
        self._secrets.set(self.name(store), key)
        self._secrets.delete(self.name(store, pending=True))
        return key

    def begin_rotation(self, store: str) -> str:
        key = new_key()
        self._secrets.set(self.name(store, pending=True), key)
        return key

    def finish_rotation(self, store: str, key: str) -> None:
        self._secrets.set(self.name(store), key)
        self._secrets.delete(self.name(store, pending=True))

    def abandon_rotation(self, store: str) -> None:
        self._secrets.delete(self.name(store, pending=True))

    def delete(self, store: str) -> None:
        self._secrets.delete(self.name(store))
        self._secrets.delete(self.name(store, pending=True))
