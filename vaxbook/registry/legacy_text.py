"""Vietnamese text typed in the old 8-bit encodings, TCVN3 and VNI, or in VIQR's ASCII signs, told apart
and read as Unicode; and text whose letters were lost to question marks, or that is Unicode misread in a
Windows code page.

Before Unicode, Vietnamese was typed in fonts that each carried an encoding of its own: TCVN3 (the
"ABC" code of TCVN 5712:1993, fonts .VnTime, .VnArial …) and VNI (fonts VNI-Times …). Spreadsheets
kept by offices and agencies still hold such text. A workbook stores the bytes as the Latin-1
characters of the same codes, so "Nguyễn Văn Hùng" typed in .VnTime reaches us as "NguyÔn V¨n Hïng",
and in VNI-Times as "Nguyeãn Vaên Huøng". Either passes a letters-only check more often than not, and
would be saved as a person's name that no search finds and no certificate should print.

:func:`legacy_reading` tells such text from Unicode and gives its Unicode reading, which the identity
rules (``identity.check_person``) quote when they refuse it. A text is taken for an old encoding only
when all of these hold: it has no character beyond Latin-1 (Unicode Vietnamese nearly always has some:
ă, đ, ơ, ư, ạ …); as it stands, one of its words is not a Vietnamese syllable; and read in the old
encoding, every word is one. So Unicode Vietnamese is never refused for this, nor is a foreign name
such as "Müller" or "José" (its reading, "Mỹller", "Josộ", is no Vietnamese either). A text that is
Vietnamese both as it stands and in an old encoding (the VNI "Hoà Thò", Hồ Thị) is left alone: it cannot
be told. Text in plain ASCII may be VIQR instead, a text may have lost letters to question marks, and
Unicode misread in a code page reads back exactly (see their sections below). Pure functions.
"""

import functools
import re
import unicodedata
from collections.abc import Callable

# --------------------------------------------------------------------------------------------
# The two encodings
# --------------------------------------------------------------------------------------------

#: TCVN3 (ABC): each code, as its Latin-1 character, followed by the Vietnamese letter it stands for. The
#: common font holds the small letters and seven capitals; a name typed in capitals uses the capital
#: fonts (.VnTimeH), whose codes are those of the small letters. (``\xad``, invisible, is ư.)
_TCVN3_TABLE = """
    µà ¸á ¶ả ·ã ¹ạ   ¨ă ¾ắ »ằ ¼ẳ ½ẵ Æặ   ©â Êấ Çầ Èẩ Éẫ Ëậ   ®đ
    Ìè Ðé Îẻ Ïẽ Ñẹ   ªê Õế Òề Óể Ôễ Öệ   ×ì Ýí Øỉ Üĩ Þị
    ßò ãó áỏ âõ äọ   «ô èố åồ æổ çỗ éộ   ¬ơ íớ êờ ëở ìỡ îợ
    ïù óú ñủ òũ ôụ   \xadư øứ õừ öử ÷ữ ùự   úỳ ýý ûỷ üỹ þỵ
    ¡Ă ¢Â §Đ £Ê ¤Ô ¥Ơ ¦Ư
"""
_TCVN3 = str.maketrans({pair[0]: pair[1] for pair in _TCVN3_TABLE.split()})

#: VNI: a letter is its base letter followed by a code for its shape and tone (``aù`` á, ``aâ`` â,
#: ``aá`` ấ, ``aê`` ă, ``aé`` ắ); ``ô`` and ``ö`` alone are ơ and ư, and a few letters have a code of
#: their own (``ñ`` đ, ``ò`` ị, ``î`` ỵ). Capitals take the capital codes (``AÙ`` Á).
_TONES = {"": "", "acute": "\u0301", "grave": "\u0300", "hook": "\u0309", "tilde": "\u0303", "dot": "\u0323"}
_PLAIN = {"ù": "acute", "ø": "grave", "û": "hook", "õ": "tilde", "ï": "dot"}
_CIRCUMFLEX = {"â": "", "á": "acute", "à": "grave", "å": "hook", "ã": "tilde", "ä": "dot"}
_BREVE = {"ê": "", "é": "acute", "è": "grave", "ú": "hook", "ü": "tilde", "ë": "dot"}
_VNI_SHAPES: dict[str, tuple[str, dict[str, dict[str, str]]]] = {
    # base in VNI: (the base letter, {shape's combining mark: its codes})
    "a": ("a", {"": _PLAIN, "\u0302": _CIRCUMFLEX, "\u0306": _BREVE}),
    "e": ("e", {"": _PLAIN, "\u0302": _CIRCUMFLEX}),
    "o": ("o", {"": _PLAIN, "\u0302": _CIRCUMFLEX}),
    "ô": ("o\u031b", {"": _PLAIN}),  # ơ
    "u": ("u", {"": _PLAIN}),
    "ö": ("u\u031b", {"": _PLAIN}),  # ư
    "y": ("y", {"": _PLAIN}),
}
#: (í and ì are their own codes: the table lists them for the letters they stand for.)
_VNI_SINGLE = {"ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}


def _vni_pairs() -> dict[str, str]:
    pairs: dict[str, str] = {}
    for base, (letter, shapes) in _VNI_SHAPES.items():
        for shape, codes in shapes.items():
            for code, tone in codes.items():
                composed = unicodedata.normalize("NFC", letter + shape + _TONES[tone])
                for b, c, out in ((base, code, composed), (base.upper(), code.upper(), composed.upper())):
                    pairs[b + c] = out
                    pairs[b + c.swapcase()] = out  # a capital followed by a small code, or the reverse
    return pairs


#: Every VNI code and what it reads as, matched in one pass, longest first (``oâ`` is ô, but ``ô`` alone is ơ).
_VNI_CODES = _vni_pairs() | _VNI_SINGLE | {k.upper(): v.upper() for k, v in _VNI_SINGLE.items()}
_VNI_CODE = re.compile("|".join(sorted(map(re.escape, _VNI_CODES), key=len, reverse=True)))


def _from_vni(text: str) -> str:
    return _VNI_CODE.sub(lambda m: _VNI_CODES[m.group()], text)


def _from_tcvn3(text: str) -> str:
    return text.translate(_TCVN3)


#: The encodings, with the fonts that a message names to say which one it is; where both read a text as
#: Vietnamese with as many tones, the first is taken.
ENCODINGS = (("VNI", "VNI-Times, VNI-Helve", _from_vni), ("TCVN3", ".VnTime, .VnArial", _from_tcvn3))

#: The way back, Unicode letter → its code: for TCVN3 a capital without a code of its own takes its small
#: letter's (the capital fonts); for VNI the code as the tables write it (``Nguyễn`` → ``Nguyeãn``).
_TO_TCVN3 = {pair[1]: pair[0] for pair in _TCVN3_TABLE.split()}
_TO_TCVN3 |= {letter.upper(): code for letter, code in list(_TO_TCVN3.items()) if letter.upper() not in _TO_TCVN3}
_TO_VNI = {  # a small letter's code in small letters, a capital's in capitals (the tables hold both mixes)
    letter: code for code, letter in _VNI_CODES.items() if code == (code.lower() if letter.islower() else code.upper())
}


def legacy_encodings(text: str) -> list[str]:
    """`text` (Unicode Vietnamese) as it reads when typed in each old encoding: what a record saved from such
    a file holds, so that a converted file finds it. Empty for ASCII text; an encoding in which a letter has
    no code is left out."""
    if text.isascii():
        return []
    text = unicodedata.normalize("NFC", text)
    found = []
    for table in (_TO_TCVN3, _TO_VNI):
        encoded = [ch if ch.isascii() else table.get(ch) for ch in text]
        if all(encoded):
            found.append("".join(encoded))  # type: ignore[arg-type]
    return found


# --------------------------------------------------------------------------------------------
# Vietnamese syllables
# --------------------------------------------------------------------------------------------

_INITIALS = "ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnprstvx]"
#: Vowel nuclei: closed by a glide (no final consonant follows), needing a final, or either.
_CLOSED = "iêu|oai|oao|oay|oeo|uây|uôi|uya|uyu|ươi|ươu|yêu|ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ua|ui|ưa|ưi|ưu"
_NEEDS_FINAL = "uyê|iê|oă|uâ|uô|ươ|yê|ă|â"  # not "oo" (xoong): the VNI "coät" is cột, not "coọt"
_OPEN = "oa|oe|uê|uơ|uy|a|e|ê|i|o|ô|ơ|u|ư|y"
_FINALS = "ch|ng|nh|[cmnpt]"
_SYLLABLE = re.compile(
    f"(?:{_INITIALS})?(?:{_CLOSED}|(?:{_NEEDS_FINAL})(?P<needed>{_FINALS})|(?:{_OPEN})(?P<final>{_FINALS})?)"
)
_STOPS = frozenset({"c", "ch", "p", "t"})  # a syllable closed by a stop takes the acute or the dot tone
_TONE_MARKS = frozenset(v for v in _TONES.values() if v)
#: A word: letters, and the Latin-1 signs that TCVN3 uses as letters (¨ ª « ¬ µ × ÷ …).
_WORD = re.compile(r"(?:[^\W\d_]|[\u00a1-\u00bf\u00d7\u00f7])+")


@functools.lru_cache(maxsize=8192)  # names and places are made of a few thousand words
def _is_syllable(word: str) -> bool:
    """A Vietnamese syllable, in any case: an initial, a vowel nucleus, a final that the nucleus allows,
    at most one tone, and after a stop (c, ch, p, t) the acute or the dot."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [ch for ch in decomposed if ch in _TONE_MARKS]
    if len(tones) > 1:
        return False
    match = _SYLLABLE.fullmatch(unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS)))
    if match is None:
        return False
    final = match.group("needed") or match.group("final")
    return final not in _STOPS or tones in (["\u0301"], ["\u0323"])


def is_syllable(word: str) -> bool:
    """A Vietnamese syllable, in any case and either normal form (see `_is_syllable`)."""
    return _is_syllable(word)


def _judged(text: str) -> list[str]:
    """The words that tell an encoding: those with a letter beyond ASCII (ASCII words are not judged:
    abbreviations, foreign words, codes; nor a lone sign such as ``·``, which is punctuation)."""
    return [w for w in _WORD.findall(text) if not w.isascii() and any(ch.isalpha() for ch in w)]


def _in_capitals(reading: str) -> str:
    """A word typed in capitals in a capital font (.VnTimeH: the codes of the small letters) reads in capitals."""

    def word(match: re.Match[str]) -> str:
        letters = [ch for ch in match.group() if ch.isascii() and ch.isalpha()]
        return match.group().upper() if len(letters) > 1 and all(ch.isupper() for ch in letters) else match.group()

    return _WORD.sub(word, reading)


def _reading(text: str, decode: Callable[[str], str]) -> str:
    """`text` with its words beyond ASCII read in the encoding (a lone ``®·`` too: "đã"), single-spaced."""
    reading = _WORD.sub(lambda m: m.group() if m.group().isascii() else decode(m.group()), text)
    return " ".join(_in_capitals(reading).split())


def legacy_reading(text: str) -> tuple[str, str, str] | None:
    """(encoding, its fonts, the Unicode reading) when `text` is Vietnamese typed in TCVN3 or VNI, or in
    VIQR (no fonts: ``""``); None for any other text (Unicode Vietnamese, plain ASCII, foreign names,
    anything unclear)."""
    if text.isascii():
        return _viqr_reading(text) if _VIQR_HINT.search(text) else None
    if max(text) > "\xff":
        return None
    return _latin1_reading(text)


@functools.lru_cache(maxsize=4096)  # a roster repeats its occupations, departments and ethnicities
def _latin1_reading(text: str) -> tuple[str, str, str] | None:
    words = _judged(text)
    if all(_is_syllable(w) for w in words):
        return None  # Vietnamese as it stands ("Lê Hoa", "Hà", "Tài"), or nothing to judge
    readings = [
        (name, fonts, _reading(text, decode))
        for name, fonts, decode in ENCODINGS
        if all(_is_syllable(decode(w)) for w in words)
    ]
    # Where both read as Vietnamese ("sö dông": VNI "sư dơng", TCVN3 "sử dụng"), the one with more tones:
    # most Vietnamese syllables carry one, and VNI's codes ô and ö alone are the toneless ơ and ư.
    return max(readings, key=lambda r: _tones(r[2]), default=None)


def _tones(text: str) -> int:
    return sum(ch in _TONE_MARKS for ch in unicodedata.normalize("NFD", text))


# --------------------------------------------------------------------------------------------
# VIQR
# --------------------------------------------------------------------------------------------
# VIQR (RFC 1456) writes Vietnamese in ASCII, each mark a sign after its letter: ^ for â ê ô, ( for ă,
# + (or *) for ơ ư, then the tone: ' acute, ` grave, ? hook, ~ tilde, . dot below; dd is đ, and a
# backslash keeps the next sign a sign. Mail and forums of the 1990s used it, and so does text typed
# with a keyboard driver left in its VIQR mode: "Nguye^~n Va(n Hu`ng". The signs are no letters, so
# most such names are refused by the name's own rule, but not every one ("Ly' Tu'" is Lý Tú), and an
# address or an occupation takes any sign. A text is taken for VIQR only when every word holding a
# sign after a vowel (or opening with dd) reads as a Vietnamese syllable, and the signs say VIQR: a
# shape (^ ( + *), a tone inside a word, dd, or at least two words closed by a tone. So "P.3", "Hoa."
# at the end of a sentence, "O'Brien", "Y'Bih" and a quoted "`XA`" are left alone.

_VIQR_SHAPES = {"^": "\u0302", "(": "\u0306", "+": "\u031b", "*": "\u031b"}
_VIQR_SHAPED = {"^": "aeo", "(": "a", "+": "ou", "*": "ou"}  # the vowels each shape goes on
_VIQR_SIGNS = "^(+*'`?~."
_VIQR_TONES = {"'": "\u0301", "`": "\u0300", "?": "\u0309", "~": "\u0303", ".": "\u0323"}
#: What only VIQR writes (the search that tells whether a text is worth reading).
_VIQR_HINT = re.compile(r"[aeiouyAEIOUY][\^(+*`'~]|[aeiouyAEIOUY][?.][A-Za-z]|(?<![A-Za-z])(?:dd|DD|Dd)")
#: What tells VIQR in a word that reads as a syllable: a shape, a tone inside the word, or dd.
_VIQR_STRONG = re.compile(r"[\^(+*]|[`'?~.](?=[A-Za-z])|dd|DD|Dd")
#: A question mark next to a letter that follows no vowel and no shape: no VIQR hook.
_NOT_A_HOOK = re.compile(r"(?<![aeiouyAEIOUY^(+*])\?(?=[A-Za-z?])|(?<=[b-df-hj-np-tv-zB-DF-HJ-NP-TV-Z?])\?")
#: A word as VIQR writes it: letters, the signs, and escaped characters.
_VIQR_WORD = re.compile(r"(?:[A-Za-z^(+*'`?~.]|\\.)+")
_VIQR_CODE = re.compile(r"\\(.)|(?<![A-Za-z])(dd|DD|Dd)|([aeiouyAEIOUY])([\^(+*]?)([`'?~.]?)")


def _from_viqr(word: str) -> tuple[str, set[str]]:
    """The word read as VIQR, and the signs it held (``dd`` for đ)."""
    signs: set[str] = set()

    def code(match: re.Match[str]) -> str:
        escaped, d, vowel, shape, tone = match.groups()
        if escaped is not None:
            return escaped
        if d is not None:
            signs.add("dd")
            return "Đ" if d[0] == "D" else "đ"
        if shape and vowel.lower() not in _VIQR_SHAPED[shape]:
            return match.group()  # no such letter ("i^"): left as typed, and the word is no syllable
        signs.update(s for s in (shape, tone) if s)
        return unicodedata.normalize("NFC", vowel + _VIQR_SHAPES.get(shape, "") + _VIQR_TONES.get(tone, ""))

    return _VIQR_CODE.sub(code, word), signs


@functools.lru_cache(maxsize=4096)
def _viqr_reading(text: str) -> tuple[str, str, str] | None:
    if _NOT_A_HOOK.search(text):
        return None  # a question mark after a consonant: letters lost to question marks ("V?n"), not VIQR
    pieces: list[str] = []
    used: set[str] = set()
    end = strong = signed = 0
    for match in _VIQR_WORD.finditer(text):
        typed = match.group()
        word, signs = _from_viqr(typed)
        if signs and not _is_syllable(word.strip(_VIQR_SIGNS)) and typed[-1] in ".?":
            # the sentence's own full stop or question mark after a tone ("la.i." is "lại.")
            word, signs = _from_viqr(typed[:-1])
            word += typed[-1]
        if signs and not _is_syllable(word.strip(_VIQR_SIGNS)):
            return None  # a sign that reads as no Vietnamese: some other text ("O'Brien", "Hoa(tam)")
        if signs:
            strong += bool(_VIQR_STRONG.search(typed))
            signed += 1
            used |= signs
        pieces += [text[end : match.start()], word]  # as typed but for its signs (and escapes)
        end = match.end()
    if not (strong or signed >= 2):
        return None  # a lone tone closing a word ("`XA`", in a text quoting code) tells too little
    if used == {"?"}:
        return None  # question marks alone: more likely letters lost ("Nguy?n") than hooks
    return ("VIQR", "", " ".join(("".join(pieces) + text[end:]).split()))


# --------------------------------------------------------------------------------------------
# Letters lost to question marks
# --------------------------------------------------------------------------------------------
# A sheet saved as plain "CSV" by an Excel whose Windows has no Vietnamese code page (an English or a
# Korean one, as in many of the province's foreign-owned factories) writes a question mark for each
# letter it cannot encode: "Nguyễn Văn Hùng" arrives as "Nguy?n V?n Hùng" or "Nguy?n V?n H?ng", and
# "Đường" as "???ng". The file is valid UTF-8, so nothing refuses it; a name is refused by the name's
# own rule, with a message that says nothing of why, and an address or an occupation would be saved so.

#: The Latin vowels with any marks (Latin-1, Latin Extended and Vietnamese's own block).
_VOWELS = "".join(
    ch
    for ch in map(chr, [*range(0x41, 0x250), *range(0x1E00, 0x1F00)])
    if ch.isalpha() and unicodedata.normalize("NFD", ch)[0] in "aeiouyAEIOUY"
)
#: A question mark where a letter was: before a letter ("Nguy?n", "???ng"), or closing a word that has
#: no vowel left ("Th?", "L?"; a question closes a word with one: "… khong?", "Tên?").
_LOST_LETTER = re.compile(rf"\?(?=[^\W\d_])|(?<![^\W\d_])[^\W\d_{_VOWELS}]+\?")


def letters_lost(text: str) -> bool:
    """Whether letters of `text` were replaced by question marks (see `_LOST_LETTER`)."""
    return "?" in text and _LOST_LETTER.search(text) is not None


# --------------------------------------------------------------------------------------------
# Unicode read in a one-byte code page
# --------------------------------------------------------------------------------------------
# A CSV saved in UTF-8 without a byte-order mark and opened by double-click in Excel is read in the
# computer's Windows code page: each letter's two or three bytes become two or three characters,
# "Nguyễn Văn Hùng" shows as "Nguyá»…n VÄƒn HÃ¹ng" (Windows-1252) or "Nguyá»…n VÄƒn HĂ¹ng" (Windows-1258, a
# Vietnamese Windows), and a sheet saved from there keeps them. Some such names pass the name's rule
# ("LÃª VÄƒn": ª and ƒ are letters), and an address takes anything. Written back in that code page, the
# characters give the UTF-8 bytes again, so the reading is exact: a text is taken for this only when its
# characters are all of that code page and their bytes are valid UTF-8 holding a character beyond ASCII;
# Vietnamese typed right (its letters are lead bytes followed by ASCII) never is.


def _code_page(codec: str) -> dict[str, int]:
    """Each character of a Windows code page, with its byte; a byte the code page leaves undefined is read
    as the control character of its number, as Windows does."""
    table = {chr(b): b for b in range(0x80)}
    for b in range(0x80, 0x100):
        try:
            table[bytes([b]).decode(codec)] = b
        except UnicodeDecodeError:
            table[chr(b)] = b
    return table


_CODE_PAGES = (("Windows-1252", _code_page("cp1252")), ("Windows-1258", _code_page("cp1258")))
#: The way back: each code page's character for each byte.
_BY_BYTE = tuple({b: ch for ch, b in table.items()} for _name, table in _CODE_PAGES)
#: A character that a UTF-8 continuation byte becomes (a symbol, rare in text typed right: every misread
#: letter has one).
_MISREAD_HINT = re.compile(
    "[{}]".format(re.escape("".join(ch for _n, t in _CODE_PAGES for ch, b in t.items() if 0x80 <= b <= 0xBF)))
)


def misread_utf8(text: str) -> tuple[str, str] | None:
    """(the code page, the text's reading) when `text` is UTF-8 read in Windows-1252 or -1258; else None."""
    if _MISREAD_HINT.search(text) is None:
        return None
    return _misread_utf8(text)


@functools.lru_cache(maxsize=1024)
def _misread_utf8(text: str) -> tuple[str, str] | None:
    for name, table in _CODE_PAGES:
        try:
            reading = bytes(table[ch] for ch in text).decode("utf-8")
        except (KeyError, UnicodeDecodeError):
            continue
        reading = unicodedata.normalize("NFC", reading)
        if not reading.isascii() and reading != text:
            return name, reading
    return None


def misread_forms(text: str) -> list[str]:
    """`text` (Unicode) as each code page misreads its UTF-8: what a record saved from such a sheet holds."""
    if text.isascii():
        return []
    data = unicodedata.normalize("NFC", text).encode("utf-8")
    return ["".join(by_byte[b] for b in data) for by_byte in _BY_BYTE]
