"""Secrets kept only in the OS keyring: the backend check, the store, and on Linux one
long-lived Secret Service session."""
