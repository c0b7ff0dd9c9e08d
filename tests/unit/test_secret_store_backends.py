"""Which path a secret takes: only keyring's Secret Service backend gets the kept session."""

from __future__ import annotations

from keyring.backend import KeyringBackend

from agent_app.secrets.store import SecretStore


class MemoryKeyring(KeyringBackend):
    """Stands in for a secure OS backend such as the Windows Credential Manager."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("none")


def test_other_backends_go_through_keyring_unchanged() -> None:
    backend = MemoryKeyring()
    store = SecretStore(backend)
    assert not store.keeps_connection
    store.warm_up()  # nothing to warm: no connection of our own
    store.set("sip-password", "value-1")
    assert backend.items == {("Pulse", "sip-password"): "value-1"}
    assert store.get("sip-password") == "value-1"
    assert store.delete("sip-password") is True
    assert store.delete("sip-password") is False
    store.close()
