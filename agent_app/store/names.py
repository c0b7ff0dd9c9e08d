"""Search keys for names: case, accents, hyphens and apostrophes do not decide a match."""

from __future__ import annotations

import unicodedata

_DROP = str.maketrans({"'": None, "’": None, ".": None, "-": " ", ",": " "})


def name_key(name: str) -> str:
    """``"O'Brien-Núñez "`` and ``"obrien nunez"`` give the same key."""
    if name.isalpha() and name.isascii():
        return name.lower()  # the common case, on the hot path of a bulk load
    if not name.isascii():
        decomposed = unicodedata.normalize("NFKD", name)
        name = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(name.translate(_DROP).casefold().split())
