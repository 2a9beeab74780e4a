"""Pure rules for places: name folding and official code formats. No database here."""

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

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


#: A unit's code written with its name in one cell, as catalogues list them: "26041 - Phường Trấn Biên",
#: "26041 Phường Trấn Biên", "75: Đồng Nai"; or after it, in brackets: "Phường Trấn Biên (26041)".
_CODE_FIRST = re.compile(r"(\d+)\s*[-–:.)]?\s*([^\d\s].*)")
_CODE_LAST = re.compile(r"([^\d].*?)\s*[(\[]\s*(\d+)\s*[)\]]")


def code_and_name(text: str, level: str) -> tuple[str, str] | None:
    """A cell giving a unit's code of its full width (`CODE_WIDTHS`) and its name: the code and the name;
    else None (a name alone, "Phường 1"; a number of another width, "12 Lê Lợi")."""
    if match := _CODE_FIRST.fullmatch(text):
        code, name = match.groups()
    elif match := _CODE_LAST.fullmatch(text):
        name, code = match.groups()
    else:
        return None
    return (code, name.strip()) if len(code) == CODE_WIDTHS[level] else None


# What a list writes before a unit's name, in its place-name key's words (longest first), and the kind of
# unit it says: "Phường", "P.", "Xã", "X.", "Thị trấn", "TT", "Đặc khu", "Tỉnh", "Thành phố", "TP" ("TP.HCM").
_KIND_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("thanh", "pho"), "province"),
    (("thi", "tran"), "thi tran"),
    (("dac", "khu"), "dac khu"),
    (("phuong",), "phuong"),
    (("xa",), "xa"),
    (("tinh",), "province"),
    (("tp",), "province"),
    (("tt",), "thi tran"),
    (("p",), "phuong"),
    (("x",), "xa"),
)
#: Names a province goes by that are not its official name (place-name keys, folded).
_PROVINCE_NICKNAMES = {
    "hcm": "79",
    "tphcm": "79",
    "hcmc": "79",
    "sai gon": "79",
    "saigon": "79",
    "hn": "01",
    "thua thien hue": "46",
}


#: The same for a district before 2025: "Quận 1", "Q.1", "Q1", "Huyện Xuân Lộc", "H. Xuân Lộc", "TP Biên Hòa",
#: "Thị xã Long Khánh", "TX Long Khánh".
_DISTRICT_KIND_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("thanh", "pho"), "city"),
    (("thi", "xa"), "town"),
    (("quan",), "quan"),
    (("huyen",), "huyen"),
    (("tp",), "city"),
    (("tx",), "town"),
    (("q",), "quan"),
    (("h",), "huyen"),
)
#: The kinds of a ward's unit (`place_kind_key`): what an address's part must say to be read as its ward.
_WARD_KINDS = frozenset(("phuong", "xa", "thi tran", "dac khu"))
#: What separates an address's parts: "12 Lê Lợi, P. Trấn Biên, Đồng Nai"; dashes where there is nothing else
#: ("Ấp 3 - Xã Xuân Tâm - Đồng Nai"): names have them too ("Phường Văn Miếu - Quốc Tử Giám", "Bà Rịa - Vũng Tàu").
_ADDRESS_PARTS = re.compile(r"\s*[,;]\s*")
_ADDRESS_DASHES = re.compile(r"\s+[-–]\s+")
#: The country after the province ("…, Đồng Nai, Việt Nam"): left aside (place-name keys, folded).
_COUNTRY_KEYS = frozenset(("viet nam", "vietnam", "vn"))


def _address_parts(text: object) -> list[str]:
    """An address's parts, the country left aside (`PlaceNames.address_ward`)."""
    text = str(text or "")
    parts = [part for part in (_ADDRESS_PARTS if _ADDRESS_PARTS.search(text) else _ADDRESS_DASHES).split(text)]
    parts = [part for part in parts if part.strip()]
    while parts and place_key(parts[-1])[1] in _COUNTRY_KEYS:
        parts.pop()
    return parts


# A kind's letter joined to a number, as "P1" or "Q10" are written.
_LETTER_NUMBER = re.compile(r"^([a-z])(\d)")


@functools.lru_cache(maxsize=16384)  # a roster's addresses repeat their wards', districts' and provinces' parts
def place_kind_key(text: object, kinds: tuple[tuple[tuple[str, ...], str], ...] = _KIND_WORDS) -> tuple[str, str, str]:
    """A unit's name as lists write it, compared: the kind of unit its first words say ("phuong", "xa", "thi
    tran", "dac khu", "province", or ""), and the rest in lower case, punctuation as spaces, with its
    diacritics (``"trấn biên"``) and without (``"tran bien"``)."""
    text = unicodedata.normalize("NFC", str(text or "")).lower()
    text = _LETTER_NUMBER.sub(r"\1 \2", "".join(ch if ch.isalnum() else " " for ch in text).strip())
    words = text.split()
    folded = _fold(" ".join(words)).split()
    for kind_words, kind in kinds:
        n = len(kind_words)
        if len(folded) > n and tuple(folded[:n]) == kind_words:
            return kind, " ".join(words[n:]), " ".join(folded[n:])
    return "", " ".join(words), " ".join(folded)


def place_key(text: object) -> tuple[str, str]:
    """`place_kind_key` without the kind: the name with and without its diacritics."""
    return place_kind_key(text)[1:]


@dataclass(frozen=True, slots=True)
class NamedUnit:
    """A 2025 unit a name may stand for: its code, name, and (for a ward) its province's code."""

    code: str
    name: str
    province_code: str = ""

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PlaceNames:
    """The 2025 provinces and wards by the names lists give them, and the units before 2025 by theirs.

    A roster gives a ward or a province by its name more often than by its code. A name is read by its
    diacritics first ("Lộc Thạnh" and "Lộc Thành" are two communes of Đồng Nai), then without them when
    that leaves one. A ward's name is read in the provinces given only: the same names stand for wards all
    over the country, and a name from before 2025 may be a 2025 ward's elsewhere. A name from before 2025
    stands for what its namesakes in those provinces became. Pure: built by `places.selectors.place_names`.
    """

    def __init__(
        self,
        provinces: Iterable[NamedUnit],
        wards: Iterable[NamedUnit],
        legacy_provinces: Iterable[tuple[str, str, Iterable[str]]],
        legacy_wards: Iterable[tuple[str, str, Iterable[str]] | tuple[str, str, Iterable[str], str]],
        legacy_districts: Iterable[tuple[str, str]] = (),
    ):
        """`legacy_provinces`: (code, name, 2025 codes); `legacy_wards`: (name, its district's code, 2025 ward
        codes[, its code]); `legacy_districts`: (code, name)."""
        self._provinces = {p.code: p for p in provinces}
        self._wards = {w.code: w for w in wards}
        self._province_names: dict[str, set[str]] = {}
        self._province_codes: dict[str, set[str]] = {}  # a legacy code → the 2025 ones
        for p in self._provinces.values():
            self._add(self._province_names, p.name, p.code)
        for key, code in _PROVINCE_NICKNAMES.items():
            if code in self._provinces:
                self._province_names.setdefault(key, set()).add(code)
        for code, name, successors in legacy_provinces:
            kept = {c for c in successors if c in self._provinces}
            if code not in self._provinces:
                self._province_codes[code] = kept
            if kept:
                self._add(self._province_names, name, *kept, legacy=True)
        # A ward's name → its (kind, 2025 codes): those named so now, and what those named so before 2025 became.
        self._ward_names: dict[str, list[tuple[str, frozenset[str]]]] = {}
        for w in self._wards.values():
            self._add_ward(w.name, frozenset((w.code,)))
        # A district before 2025 by name → its codes; a ward before 2025 by (district, name) → (kind, 2025 codes).
        self._district_names: dict[str, set[str]] = {}
        for code, name in legacy_districts:
            _kind, marked, folded = place_kind_key(name, _DISTRICT_KIND_WORDS)
            for key in {marked, folded}:
                self._district_names.setdefault(key, set()).add(code)
        self._wards_by_district: dict[tuple[str, str], list[tuple[str, frozenset[str]]]] = {}
        # A ward's code before 2025 → (its name's keys, the 2025 wards) of one split among several.
        self._split_wards: dict[str, list[tuple[str, str, frozenset[str]]]] = {}
        for entry in legacy_wards:
            name, district, successors = entry[:3]
            code = next(iter(entry[3:]), "")
            became = frozenset(c for c in successors if c in self._wards)
            if became:
                self._add_ward(name, became)
                kind, marked, folded = place_kind_key(name)
                for key in {marked, folded}:
                    self._wards_by_district.setdefault((district, key), []).append((kind, became))
                if code and len(became) > 1:
                    self._split_wards.setdefault(code, []).append((marked, folded, became))

    def _add_ward(self, name: str, codes: frozenset[str]) -> None:
        kind, marked, folded = place_kind_key(name)
        for key in {marked, folded}:
            self._ward_names.setdefault(key, []).append((kind, codes))

    @staticmethod
    def _add(index: dict[str, set[str]], name: str, *codes: str, legacy: bool = False) -> None:
        marked, folded = place_key(name)
        for key in (marked, folded):
            if legacy and key in index:
                continue  # a 2025 name is the one that name stands for
            index.setdefault(key, set()).update(codes)

    def ward(self, code: str) -> NamedUnit | None:
        """The 2025 ward of this code, or None (a code before 2025, or no ward's)."""
        return self._wards.get(code)

    def split_ward(self, code: str, name: object) -> tuple[NamedUnit, ...]:
        """The 2025 wards among which the ward before 2025 of this code and this name was split: a code and a
        name both from before 2025 ("00070 - Phường Hàng Trống", split among Phường Hoàn Kiếm, which took its
        code, and Phường Cửa Nam). () for any other: a name the ward of this code bears now, or a ward merged
        whole, or another code's."""
        entries = self._split_wards.get(code)
        if not entries:
            return ()
        _kind, marked, folded = place_kind_key(name)
        if (now := self._wards.get(code)) is not None:
            _kind, now_marked, now_folded = place_kind_key(now.name)
            if marked == now_marked or marked == folded == now_folded:  # its name now, typed with or without marks
                return ()
        for was_marked, was_folded, became in entries:
            if marked == was_marked or folded == was_folded:
                return tuple(self._wards[c] for c in sorted(became))
        return ()

    def province_codes(self, code: str) -> tuple[str, ...]:
        """The 2025 province a province's code stands for: itself, or what a code before 2025 became."""
        if code in self._provinces:
            return (code,)
        return tuple(sorted(self._province_codes.get(code, ())))

    def province_names(self, codes: Iterable[str]) -> str:
        """The 2025 provinces' names, for a message ("Thành phố Đồng Nai")."""
        return ", ".join(self._provinces[c].name for c in codes if c in self._provinces)

    def provinces(self, name: object) -> tuple[NamedUnit, ...]:
        """The 2025 provinces a province's name may stand for: none, one, or several for a name before 2025
        whose units went to several."""
        marked, folded = place_key(name)
        codes = self._province_names.get(marked) or self._province_names.get(folded) or set()
        return tuple(self._provinces[c] for c in sorted(codes))

    def address_ward(self, text: object, province_codes: Iterable[str] = ()) -> NamedUnit | None:
        """The 2025 ward an address's text names, when it names one for sure; else None (`address_ward_part`)."""
        found = self.address_ward_part(text, province_codes)
        return found[0] if found is not None else None

    def address_ward_part(self, text: object, province_codes: Iterable[str] = ()) -> tuple[NamedUnit, str] | None:
        """The 2025 ward an address's text names, when it names one for sure; else None. The text is read by
        its parts ("Khu phố 3, P. Trấn Biên, Đồng Nai"; commas or semicolons between, else dashes): a part is the
        ward's name only when it says its kind ("Phường", "P.", "Xã", "Thị trấn", "Đặc khu"), a street or a
        hamlet being no ward; the province is the one given, else the last part's when it names one (a ward's
        name is read in its province only, as in `wards`; an address ending with another province than the one
        given names none of its wards); a district's part before 2025 after it ("TP Biên
        Hòa", "Q.3") tells a namesake as a district's column does. Several wards, or none: None (no guess).
        Returns the ward with the part naming it ("P. Tân Mai", a name before 2025, for Phường Tam Hiệp)."""
        parts = _address_parts(text)
        if not any(place_kind_key(part)[0] in _WARD_KINDS for part in parts):
            return None  # most addresses given beside their ward's code: no look-up
        scope = tuple(province_codes)
        if len(parts) > 1 and place_kind_key(parts[-1])[0] in ("", "province"):
            ending = tuple(p.code for p in self.provinces(parts[-1]))
            if ending and scope and not set(ending) & set(scope):
                return None  # the address is in another province than the one given: not this province's ward
            if ending:
                parts.pop()
                scope = scope or ending
        if not scope:
            return None
        at = [n for n, part in enumerate(parts) if place_kind_key(part)[0] in _WARD_KINDS]
        named = [parts[n] for n in at]
        # the district after the ward, as an address goes from the house to the province
        district = next((part for part in parts[at[0] + 1 :] if place_kind_key(part, _DISTRICT_KIND_WORDS)[0]), None)
        found = [(unit, part) for part in named for unit in self.wards(part, scope, district)]
        return found[0] if len({unit for unit, _part in found}) == 1 else None

    def address_district(self, text: object) -> str | None:
        """The district before 2025 an address names ("12 Lê Lợi, TP Biên Hòa, Đồng Nai": "TP Biên Hòa"), to
        tell a ward's namesakes apart as a district's column does (`wards`); None when it names none."""
        parts = _address_parts(text)
        if len(parts) > 1 and self.provinces(parts[-1]):
            parts.pop()  # the province ("TP.HCM" is no district)
        return next((part for part in parts if place_kind_key(part, _DISTRICT_KIND_WORDS)[0]), None)

    def wards(self, name: object, province_codes: Iterable[str], district: object = None) -> tuple[NamedUnit, ...]:
        """The 2025 wards a ward's name may stand for in the given 2025 provinces: the ward named so, and
        what the wards named so before 2025 became (a list may be older than the reform: "Phường Ngọc Hà" of
        2024 is in Phường Ba Đình, beside the new Phường Ngọc Hà); of the kind the name says when it says
        one ("Phường Chương Dương" is no "Xã Chương Dương"). Given a district (there were none after 2025),
        the name is first that district's ward before 2025, and what it became."""
        scope = set(province_codes)
        kind, marked, folded = place_kind_key(name)

        def inside(entries: Iterable[tuple[str, frozenset[str]]]) -> set[str]:
            return {
                code
                for unit_kind, became in entries
                if not kind or unit_kind == kind
                for code in became
                if self._wards[code].province_code in scope
            }

        if district is not None and str(district).strip():
            _kind, dmarked, dfolded = place_kind_key(district, _DISTRICT_KIND_WORDS)
            for districts in (self._district_names.get(dmarked, ()), self._district_names.get(dfolded, ())):
                for key in (marked, folded):
                    codes = inside(e for d in districts for e in self._wards_by_district.get((d, key), ()))
                    if codes:
                        return tuple(self._wards[c] for c in sorted(codes))
        for key in (marked, folded):
            codes = inside(self._ward_names.get(key, ()))
            if codes:
                return tuple(self._wards[c] for c in sorted(codes))
        return ()
