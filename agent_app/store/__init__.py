"""Encrypted SQLCipher stores: the rebuildable patient cache and the precious journal.

Start at :class:`agent_app.store.agent_store.AgentStore` (``AgentStore.open``): it owns
both files of one agent on this workstation. The sync layer writes through
``store.cache.apply_snapshot`` / ``apply_delta`` and drains ``store.journal``
(``next_batch`` / ``mark_acknowledged`` / ``park``); the workflow reads through
``caller_lookup`` and the audited searches. Errors are in :mod:`agent_app.store.errors`.
"""
