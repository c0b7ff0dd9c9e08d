"""Alembic migrations of the server schema (run by :func:`server.db.upgrade`)."""
