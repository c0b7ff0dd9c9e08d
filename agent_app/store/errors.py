"""Named failures of the encrypted stores, each with the recovery the caller should take.

SQLCipher reports a wrong key, a missing key and a damaged first page all as "file is
not a database"; the store tells them apart from what it knows (was there a key in the
keyring? did the header decrypt?) and raises one of these instead. Messages name files,
stores and counts, never a key or a patient field.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of every store failure."""


class KeyMissingError(StoreError):
    """The keyring holds no key for a store file that exists.

    Recovery: the cache is set aside and rebuilt from the server; a journal is set aside
    (never deleted) only when the caller asks for it, since its entries may be unsynced.
    """


class WrongKeyError(StoreError):
    """The key in the keyring does not open the file (or its first page is damaged).

    Recovery: as for :class:`KeyMissingError`.
    """


class CorruptStoreError(StoreError):
    """``cipher_integrity_check`` or SQLite found damaged pages.

    Recovery: the cache is set aside and rebuilt; a journal is set aside on request.
    """


class DiskFullError(StoreError):
    """A write failed because the disk (or the file's size limit) is full.

    The transaction was rolled back, nothing half-written remains; the caller keeps the
    item it tried to write and retries once space has been freed.
    """


class StoreInUseError(StoreError):
    """Another Pulse process holds these files. Recovery: close the other instance."""


class SchemaTooNewError(StoreError):
    """The file was written by a newer Pulse. The cache is rebuilt; a journal is kept."""


class MigrationError(StoreError):
    """A schema migration step failed; the file was left at its previous version."""


class CacheLockedError(StoreError):
    """The cache is locked: too long without reaching the server, or the store was revoked.

    Recovery: reach the server (a successful sync or sign-in unlocks it).
    """


class StoreClosedError(StoreError):
    """The store was used after :meth:`close` or after a wipe."""


class InvalidItemError(StoreError):
    """An item to store or enqueue is malformed; the message names the field, not its value."""


class UnsyncedEntriesError(StoreError):
    """Refused: the journal still holds entries the server has not acknowledged."""
