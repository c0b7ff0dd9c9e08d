"""One long-lived Secret Service connection and session for the process (Linux keyring).

keyring's SecretService backend negotiates a new connection and encrypted session on every
call (docs/decisions/0016-one-secret-service-session.md). Here the connection, the session
and the collection are made once and reused under a lock (a D-Bus connection is not safe
to share between threads unguarded). Items carry exactly the attributes and label keyring
writes, so either path reads what the other wrote.

If the daemon went away (gnome-keyring restarted, the bus closed), one call reconnects
and retries once, then gives up with :class:`SecretStoreError`. A locked collection is
never unlocked from here: the unlock prompt needs a desktop and would block a headless
process forever, so the caller gets an error naming the problem instead.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import secretstorage
import secretstorage.exceptions as ss_errors
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from jeepney import DBusErrorResponse  # type: ignore[import-untyped]
from secretstorage.dhcrypto import Session
from secretstorage.util import DBusAddressWrapper

from agent_app.secrets.errors import KeyringLockedError, SecretStoreError

T = TypeVar("T")

_COLLECTION_IFACE = "org.freedesktop.Secret.Collection"
_ITEM_IFACE = "org.freedesktop.Secret.Item"
_IS_LOCKED = "org.freedesktop.Secret.Error.IsLocked"

DEFAULT_COLLECTION = "/org/freedesktop/secrets/aliases/default"


class _Connection:
    """The parts that must be closed together; kept apart so a finalizer can hold them."""

    def __init__(self) -> None:
        self.bus: Any = None  # jeepney's blocking DBusConnection
        self.collection: secretstorage.Collection | None = None

    def close(self) -> None:
        bus, self.bus, self.collection = self.bus, None, None
        if bus is not None:
            with contextlib.suppress(Exception):  # a dead socket may fail to close cleanly
                bus.close()


class SecretServiceSession:
    """Get, set and delete keyring items over one cached connection and session.

    ``backend`` is keyring's SecretService backend: its attribute scheme, application
    id and preferred collection are used, so items match those keyring makes itself.
    """

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self._collection_path: str = getattr(backend, "preferred_collection", DEFAULT_COLLECTION)
        self._lock = threading.Lock()
        self._conn = _Connection()
        weakref.finalize(self, self._conn.close)

    @property
    def connected(self) -> bool:
        return self._conn.collection is not None

    def warm_up(self) -> None:
        """Connect and open the encrypted session now, so the next read is fast."""
        self._run("connect", lambda collection: None)

    def get(self, service: str, username: str) -> str | None:
        """Two D-Bus round trips: ``SearchItems``, then ``GetSecret`` of the first match.

        (secretstorage's ``Item`` reads the label when it is made and the locked flag
        before the secret: four round trips, about half of a store open.)
        """
        query = self._backend._query(service, username)

        def read(collection: secretstorage.Collection) -> str | None:
            session = collection.session
            if session is None:  # _connect always opens one
                raise ss_errors.SecretStorageException("no session")
            search = DBusAddressWrapper(
                collection.collection_path, _COLLECTION_IFACE, collection.connection
            )
            (paths,) = search.call("SearchItems", "a{ss}", query)
            for path in paths:
                item = DBusAddressWrapper(path, _ITEM_IFACE, collection.connection)
                try:
                    (secret,) = item.call("GetSecret", "o", session.object_path)
                except DBusErrorResponse as exc:
                    if exc.name == _IS_LOCKED:
                        raise ss_errors.LockedException("item is locked") from None
                    raise
                return _open_secret(session, secret).decode("utf-8")
            return None

        return self._run("read", read)

    def set(self, service: str, username: str, value: str) -> None:
        attributes = self._backend._query(service, username, application=self._backend.appid)
        label = f"Password for '{username}' on '{service}'"  # the label keyring gives

        def write(collection: secretstorage.Collection) -> None:
            collection.create_item(label, attributes, value.encode("utf-8"), replace=True)

        self._run("write", write)

    def delete(self, service: str, username: str) -> bool:
        """Remove the first matching item; False when there was none (as keyring does)."""
        query = self._backend._query(service, username)

        def remove(collection: secretstorage.Collection) -> bool:
            for item in collection.search_items(query):
                item.delete()
                return True
            return False

        return self._run("delete", remove)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _connect(self) -> secretstorage.Collection:
        if self._conn.collection is not None:
            return self._conn.collection
        bus = secretstorage.dbus_init()
        self._conn.bus = bus
        try:
            collection = secretstorage.Collection(bus, self._collection_path)
        except ss_errors.ItemNotFoundException:
            self._conn.close()
            # keyring would ask to create one: a prompt, impossible without a desktop.
            raise SecretStoreError(
                "the Secret Service has no default keyring; create one in the desktop "
                "session (e.g. Passwords and Keys) and start Pulse again"
            ) from None
        if collection.is_locked():
            self._conn.close()
            raise ss_errors.LockedException("collection is locked")
        collection.session = secretstorage.util.open_session(bus)
        self._conn.collection = collection
        return collection

    def _run(self, action: str, operation: Callable[[secretstorage.Collection], T]) -> T:
        with self._lock:
            for attempt in (1, 2):
                try:
                    return operation(self._connect())
                except ss_errors.LockedException:
                    raise KeyringLockedError(
                        f"keyring {action} refused: the keyring collection is locked; unlock "
                        "it in the desktop session (log in again, or Passwords and Keys)"
                    ) from None
                except (ss_errors.SecretStorageException, DBusErrorResponse, OSError) as exc:
                    # The daemon restarted (our session is gone) or the bus closed: make
                    # everything again once; a second failure is reported.
                    self._conn.close()
                    if attempt == 2:
                        raise SecretStoreError(
                            f"keyring {action} failed ({type(exc).__name__}); is the Secret "
                            "Service (gnome-keyring) running in this desktop session?"
                        ) from None
        raise AssertionError("unreachable")  # pragma: no cover


def _open_secret(session: Session, secret: tuple[Any, ...]) -> bytes:
    """The value of a Secret Service ``Secret`` struct (session, parameters, value, type).

    In an encrypted session the value is AES-128-CBC with the session's key, the
    parameters its IV, padded as PKCS#7.
    """
    _, parameters, value, _ = secret
    if not session.encrypted:
        return bytes(value)
    if session.aes_key is None:
        raise ss_errors.SecretStorageException("the session has no key")
    try:
        cipher = Cipher(algorithms.AES(session.aes_key), modes.CBC(bytes(parameters)))
        decryptor = cipher.decryptor()
        padded = decryptor.update(bytes(value)) + decryptor.finalize()
        unpadder = padding.PKCS7(algorithms.AES.block_size).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:  # a malformed reply: treated like a broken session
        raise ss_errors.SecretStorageException("unreadable secret from the keyring") from None
