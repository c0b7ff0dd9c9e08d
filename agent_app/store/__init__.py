"""Encrypted SQLCipher stores: the rebuildable patient cache and the precious journal."""
