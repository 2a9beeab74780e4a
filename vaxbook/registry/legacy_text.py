"""Vietnamese text typed in the old 8-bit encodings, TCVN3 and VNI, told apart and read as Unicode.

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
such as "Müller" or "José" (its reading, "Mỹller", "Josộ", is no Vietnamese either). Pure functions.
"""

import functools
import re
import unicodedata

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


#: The encodings tried, in order, with the fonts that a message names to say which one it is.
ENCODINGS = (("TCVN3", ".VnTime, .VnArial", _from_tcvn3), ("VNI", "VNI-Times, VNI-Helve", _from_vni))

# --------------------------------------------------------------------------------------------
# Vietnamese syllables
# --------------------------------------------------------------------------------------------

_INITIALS = "ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnprstvx]"
_NUCLEI = (
    "iêu|oai|oao|oay|oeo|uây|uôi|uya|uyê|uyu|ươi|ươu|yêu|"
    "ai|ao|au|ay|âu|ây|eo|êu|ia|iê|iu|oa|oă|oe|oi|oo|ôi|ơi|ua|uâ|uê|ui|uô|uơ|uy|ưa|ưi|ươ|ưu|ya|yê|"
    "a|ă|â|e|ê|i|o|ô|ơ|u|ư|y"
)
_FINALS = "ch|ng|nh|[cmnpt]"
_SYLLABLE = re.compile(f"(?:{_INITIALS})?(?:{_NUCLEI})(?:{_FINALS})?")
_TONE_MARKS = frozenset(v for v in _TONES.values() if v)
#: A word: letters, and the Latin-1 signs that TCVN3 uses as letters (¨ ª « ¬ µ × ÷ …).
_WORD = re.compile(r"(?:[^\W\d_]|[\u00a1-\u00bf\u00d7\u00f7])+")


@functools.lru_cache(maxsize=8192)  # names and places are made of a few thousand words
def _is_syllable(word: str) -> bool:
    """A Vietnamese syllable, in any case: an initial, a vowel nucleus, a final, at most one tone."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    if sum(ch in _TONE_MARKS for ch in decomposed) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    return _SYLLABLE.fullmatch(bare) is not None


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


def _reading(text: str, decoded: dict[str, str]) -> str:
    """`text` with its judged words read in the encoding (the rest as it is), single-spaced."""
    reading = _WORD.sub(lambda m: decoded.get(m.group(), m.group()), text)
    return " ".join(_in_capitals(reading).split())


def legacy_reading(text: str) -> tuple[str, str, str] | None:
    """(encoding, its fonts, the Unicode reading) when `text` is Vietnamese typed in TCVN3 or VNI;
    None for any other text (Unicode Vietnamese, ASCII, foreign names, anything unclear)."""
    if text.isascii() or max(text) > "\xff":
        return None
    return _latin1_reading(text)


@functools.lru_cache(maxsize=4096)  # a roster repeats its occupations, departments and ethnicities
def _latin1_reading(text: str) -> tuple[str, str, str] | None:
    words = _judged(text)
    if all(_is_syllable(w) for w in words):
        return None  # Vietnamese as it stands ("Lê Hoa", "Hà", "Tài"), or nothing to judge
    for name, fonts, decode in ENCODINGS:
        decoded = {w: decode(w) for w in words}
        if all(_is_syllable(d) for d in decoded.values()):
            return name, fonts, _reading(text, decoded)
    return None
