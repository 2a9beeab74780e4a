"""Pure rules for places: name folding and official code formats. No database here."""

import unicodedata

_D_LETTERS = str.maketrans({"đ": "d", "Đ": "d"})

# Official statistics-office code widths, as the vietnam-provinces package names them (P_01, D_001, W_00004).
CODE_WIDTHS: dict[str, int] = {
    "province": 2,
    "ward": 5,
    "legacy_province": 2,
    "legacy_district": 3,
    "legacy_ward": 5,
}


def _fold(s: object) -> str:
    """The search form of a name: lower case, no diacritics, ``đ`` → ``d``, single spaces.

    Same result as ``vaxbook.registry.identity.search_name`` for Vietnamese names.
    """
    text = unicodedata.normalize("NFC", str(s or "")).translate(_D_LETTERS).lower()
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    return " ".join(text.split())


def code_candidates(q: str) -> set[str]:
    """The official codes a typed number may stand for: as typed, and zero-padded to each width."""
    q = q.strip()
    if not q.isdigit() or len(q) > max(CODE_WIDTHS.values()):
        return set()
    return {q} | {q.zfill(width) for width in set(CODE_WIDTHS.values()) if width >= len(q)}


def normalize_code(code: object, *, level: str) -> str:
    """A code as stored: digits zero-padded to the level's width (``75`` → ``"75"``, ``4`` → ``"00004"``)."""
    text = str(code).strip()
    width = CODE_WIDTHS.get(level, 0)
    return text.zfill(width) if text.isdigit() else text
