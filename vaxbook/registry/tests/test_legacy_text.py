"""Vietnamese typed in the old TCVN3 and VNI encodings: told from Unicode, read as Unicode, refused."""

import pathlib
import re
import unicodedata
from datetime import date

import pytest
from django.utils import translation

from vaxbook.registry.identity import PersonInput, check_person
from vaxbook.registry.legacy_text import (
    _TCVN3_TABLE,
    _VNI_SINGLE,
    _vni_pairs,
    legacy_encodings,
    legacy_reading,
    letters_lost,
    misread_forms,
    misread_utf8,
)

LOCALE = pathlib.Path(__file__).resolve().parents[3] / "locale" / "vi" / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize(
    ("typed", "encoding", "reading"),
    [
        # TCVN3 (.VnTime): the codes of the ABC table, as Excel keeps them
        ("NguyÔn V¨n Hïng", "TCVN3", "Nguyễn Văn Hùng"),
        ("Lª ThÞ H\u00ad¬ng", "TCVN3", "Lê Thị Hương"),  # ư is the soft hyphen's code
        ("TrÇn ThÞ Thu Hµ", "TCVN3", "Trần Thị Thu Hà"),
        ("§Æng Quèc B¶o", "TCVN3", "Đặng Quốc Bảo"),
        ("Ph¹m Ngäc Th¶o", "TCVN3", "Phạm Ngọc Thảo"),
        ("NguyÔn Hoa", "TCVN3", "Nguyễn Hoa"),  # every character a letter: the syllable tells
        ("Sè 12, §\u00adêng Lª Lîi, P.T©n Phong", "TCVN3", "Số 12, Đường Lê Lợi, P.Tân Phong"),
        ("C«ng nh©n", "TCVN3", "Công nhân"),
        ("Phßng KÕ to¸n", "TCVN3", "Phòng Kế toán"),
        ("M\u00adêng", "TCVN3", "Mường"),
        ("NGUYÔN V¡N A", "TCVN3", "NGUYỄN VĂN A"),  # a capital font: the word reads in capitals
        # VNI (VNI-Times): a base letter and the codes of its marks
        ("Nguyeãn Vaên Huøng", "VNI", "Nguyễn Văn Hùng"),
        ("Traàn Thò Thu Haø", "VNI", "Trần Thị Thu Hà"),
        ("Ñaëng Quoác Baûo", "VNI", "Đặng Quốc Bảo"),
        ("Tröông Thò Phöôïng", "VNI", "Trương Thị Phượng"),
        ("Soá 12 Ñöôøng Leâ Lôïi", "VNI", "Số 12 Đường Lê Lợi"),
        ("NGUYEÃN VAÊN HUØNG", "VNI", "NGUYỄN VĂN HÙNG"),
    ],
)
def test_text_in_an_old_encoding_is_told_and_read(typed, encoding, reading):
    found = legacy_reading(typed)
    assert found is not None
    assert (found[0], found[2]) == (encoding, reading)


@pytest.mark.parametrize(
    "text",
    [
        # Unicode Vietnamese whose letters are all Latin-1 ones: words that are syllables as they stand
        "Lê Thanh Tài",
        "Hà Mai",
        "Võ Hoa",
        "Công nhân",
        "Ôn Như Hầu",
        "Ý Lan",
        "Khu phố 3 · Tân Phong",  # a lone sign is punctuation, not a code
        "Lô A·12",
        # foreign and minority names: no reading is Vietnamese either
        "José Müller",
        "Søren",
        "Björk Guðmundsdóttir",
        "Núñez",
        "Zoë",
        "François",
        "Y Ñuôl",
        "Ê Đê",
        "H'Hen Niê",
        # nothing to judge
        "",
        "Kinh",
        "Nguyễn Văn A",
        "12/05",
    ],
)
def test_other_text_is_not_taken_for_an_old_encoding(text):
    assert legacy_reading(text) is None


def test_no_vietnamese_text_of_the_project_is_taken_for_an_old_encoding():
    """Thousands of Vietnamese words: every translated message of the portal."""
    texts = re.findall(r'^msgstr "(.+)"$', LOCALE.read_text(encoding="utf-8"), re.M)
    assert len(texts) > 500
    assert [t for t in texts if legacy_reading(t) is not None] == []


def _encoder(codes: dict[str, str]):
    def encode(text: str) -> str | None:
        out = []
        for ch in text:
            code = ch if ch.isascii() else codes.get(ch) or codes.get(ch.lower())  # capitals: a capital font
            if code is None:
                return None
            out.append(code)
        return "".join(out)

    return encode


def _vni_codes() -> dict[str, str]:
    codes = {letter: code for code, letter in _VNI_SINGLE.items()} | {"ô": "oâ", "Ô": "OÂ", "ơ": "ô", "Ơ": "Ô"}
    codes |= {letter.upper(): code.upper() for code, letter in _VNI_SINGLE.items() if letter not in "ôơ"}
    for code, letter in _vni_pairs().items():
        if code[0].isupper() == code[1].isupper():  # the codes a keyboard types, not the tolerated mixes
            codes.setdefault(letter, code)
    return codes


def test_the_portals_vietnamese_typed_in_either_encoding_reads_back():
    """Every Vietnamese phrase of the portal's translations, encoded in TCVN3 and in VNI as a keyboard
    driver would type it, is read back as it was; a few are left alone (each word a syllable either way)
    and almost none is given the other encoding's reading (the row is refused all the same)."""
    phrases = {
        piece.strip()
        for text in re.findall(r'^msgstr "(.+)"$', LOCALE.read_text(encoding="utf-8"), re.M)
        for piece in re.split(r"[^\w ,.-]", text)
        if not piece.isascii()
    }
    encoders = {
        "TCVN3": _encoder({pair[1]: pair[0] for pair in _TCVN3_TABLE.split()}),
        "VNI": _encoder(_vni_codes()),
    }
    typed = [(encode(phrase), phrase) for phrase in phrases for encode in encoders.values()]
    assert_read_back([(t, phrase) for t, phrase in typed if t is not None and t != phrase], more_than=1000)


def assert_read_back(cases: list[tuple[str, str]], *, more_than: int) -> None:
    """Of the (typed, meant) texts, at least 97 % read back as meant (case aside: TCVN3's capital fonts) and
    at most 0.5 % as something else; the rest are left alone."""
    outcome = {"read": 0, "left": 0, "misread": 0}
    for typed, meant in cases:
        found = legacy_reading(typed)
        if found is None:
            outcome["left"] += 1
        elif found[2].lower() == " ".join(meant.split()).lower():
            outcome["read"] += 1
        else:
            outcome["misread"] += 1
    total = sum(outcome.values())
    assert total > more_than
    assert outcome["read"] >= 0.97 * total, outcome
    assert outcome["misread"] <= 0.005 * total, outcome


def test_an_ambiguous_text_is_left_alone():
    """VNI's "Hoà Thò" is also the Unicode "Hoà Thò": both are syllables, and the text is not refused."""
    assert legacy_reading("Hoà Thò Hoàng") is None


def in_both_languages(problem) -> tuple[str, str]:
    """A problem's message in English and in Vietnamese."""
    with translation.override("en"):
        english = str(problem.message)
    with translation.override("vi"):
        return english, str(problem.message)


def codes(check, field):
    return [p.code for p in check.invalid if p.field == field]


def person(**over) -> PersonInput:
    values = {
        "full_name": "Nguyễn Văn An",
        "date_of_birth": date(1985, 6, 15),
        "sex": "M",
        "phone": "0912345678",
        "id_type": "none",
        "id_number": "",
        "ward_code": "26001",
        "priority_group": "9",
        "address_line": "12 Đường Lê Lợi",
        "occupation": "Công nhân",
        "ethnicity": "Kinh",
    }
    return PersonInput(**(values | over))


def test_a_name_in_tcvn3_is_refused_quoting_its_unicode_reading():
    check = check_person(person(full_name="NguyÔn V¨n Hïng"), today=date(2026, 12, 5))
    assert codes(check, "full_name") == ["text_legacy_encoding"]  # one reason for the cell
    problem = check.invalid[0]
    english, vietnamese = in_both_languages(problem)
    assert "TCVN3" in english and "“Nguyễn Văn Hùng”" in english and ".VnTime" in english
    assert "TCVN3" in vietnamese and "“Nguyễn Văn Hùng”" in vietnamese and "Unicode" in vietnamese
    assert vietnamese != english


@pytest.mark.parametrize(
    ("field", "typed"),
    [("address_line", "Sè 12 §\u00adêng Lª Lîi"), ("occupation", "C«ng nh©n"), ("ethnicity", "M\u00adêng")],
)
def test_an_address_an_occupation_or_an_ethnicity_in_an_old_encoding_is_refused(field, typed):
    check = check_person(person(**{field: typed}), today=date(2026, 12, 5))
    assert codes(check, field) == ["text_legacy_encoding"]
    assert check.data_status == "invalid"


def test_a_foreigners_name_is_not_judged_for_a_vietnamese_encoding():
    """ "Loïc" reads as the VNI "Lọc": a French citizen's name is his own."""
    assert check_person(person(full_name="Loïc Müller", nationality="FR"), today=date(2026, 12, 5)).invalid == []
    vietnamese = check_person(person(full_name="Loïc", nationality="VN"), today=date(2026, 12, 5))
    assert codes(vietnamese, "full_name") == ["text_legacy_encoding"]


def test_unicode_text_passes_as_before():
    check = check_person(person(full_name="Lê Thị Hương", address_line="Ấp Hòa Bình"), today=date(2026, 12, 5))
    assert check.invalid == []


@pytest.mark.parametrize(
    "over",
    [
        {"address_line": "Sè\x1b12 Lª Lîi"},  # a control character, which normalizing drops (hypothesis)
        {"full_name": "L\u00adu V¨n"},  # the soft hyphen that the text's normalization would drop
        {"occupation": "C«ng\x1bnh©n", "ethnicity": "M\u00adêng"},
    ],
)
def test_a_refused_text_is_refused_again_when_its_record_is_checked_again(over):
    """The rules are stable (test_identity's property): a refused text stays as typed in the normalized
    record, so checking that record again refuses it again, for the same reason."""
    first = check_person(person(**over), today=date(2026, 12, 5))
    again = check_person(first.normalized, today=date(2026, 12, 5))
    assert "text_legacy_encoding" in first.codes
    assert (again.codes, again.normalized) == (first.codes, first.normalized)


@pytest.mark.parametrize(
    "name",
    ["Nguyễn Văn Hùng", "Lê Thị Hương", "Đặng Quốc Bảo", "TRẦN THỊ MAI", "Phòng Kế toán", "Ngô Thị Ỷ Lan"],
)
def test_a_name_typed_in_each_old_encoding_reads_back_as_itself(name):
    """`legacy_encodings` is the way back: what a record saved from such a file holds, so that the same name
    in Unicode finds it (a row without a document, registry.services._legacy_search_names)."""
    encodings = legacy_encodings(name)
    assert len(encodings) == 2  # TCVN3 and VNI
    for typed in encodings:
        found = legacy_reading(typed)
        assert found is not None and found[2].lower() == name.lower()  # TCVN3's capitals read as small letters


def test_text_with_nothing_to_encode_has_no_old_encoding():
    assert legacy_encodings("John Smith") == []
    assert legacy_encodings("Müller") == []  # ü is no Vietnamese letter: neither encoding has a code for it


# --------------------------------------------------------------------------------------------
# VIQR: Vietnamese in ASCII signs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "reading"),
    [
        ("Nguye^~n Va(n Hu`ng", "Nguyễn Văn Hùng"),
        ("Ly' Tu'", "Lý Tú"),  # every sign an apostrophe: a letters-and-apostrophes check passes it
        ("Le^ Thi. Hu+o+ng", "Lê Thị Hương"),
        ("Tra^`n Thi. Thu Ha`", "Trần Thị Thu Hà"),
        ("DDa(.ng Quo^'c Ba?o", "Đặng Quốc Bảo"),
        ("Ddinh Van Nam", "Đinh Van Nam"),  # a word with no sign stays as typed
        ("NGUYE^~N VA(N HU`NG", "NGUYỄN VĂN HÙNG"),
        ("So^' 12, ddu+o+`ng Le^ Lo+.i, P.3", "Số 12, đường Lê Lợi, P.3"),
        ("Co^ng nha^n", "Công nhân"),
        ("Mu*o*`ng", "Mường"),  # the horn as * (some keyboard drivers)
        ("Pho`ng Ke^' toa'n.", "Phòng Kế toán."),  # the sentence's full stop after a tone
        ("Ha?i Pho`ng", "Hải Phòng"),
    ],
)
def test_text_in_viqr_is_told_and_read(typed, reading):
    assert legacy_reading(typed) == ("VIQR", "", reading)


@pytest.mark.parametrize(
    "text",
    [
        "Nguyen Van A",  # plain ASCII, no sign: nothing to judge
        "P.3, Q.1",  # an abbreviation's point after a consonant
        "Khu pho 1, P. Tan Hoa.",  # a full stop (or a question mark) alone is no sign of VIQR
        "Co phai khong?",
        "O'Brien",  # signs that read as no Vietnamese
        "Y'Bih Nie",
        "H'Hen Nie",
        "Mary's",
        "Hoa(tam)",
        "Lo(2)",
        "Addis Ababa",
        "Ta\\.i",  # a backslash keeps the sign a sign
    ],
)
def test_other_ascii_text_is_not_taken_for_viqr(text):
    assert legacy_reading(text) is None


def test_no_english_text_of_the_project_is_taken_for_viqr():
    """The portal's English messages and the lines of its English docs, with their apostrophes, brackets,
    question marks and quoted code: over a thousand ASCII texts."""
    messages = ["".join(re.findall(r'"(.*)"', block)) for block in re.findall(r'^msgid ((?:".*"\n)+)', _po(), re.M)]
    root = LOCALE.parents[3]
    docs = [
        line for path in [root / "README.md", *(root / "docs").glob("*.md")] for line in path.read_text().splitlines()
    ]
    texts = [t.strip() for t in messages + docs if t.strip() and t.isascii()]
    assert len(texts) > 1000
    assert [t for t in texts if legacy_reading(t) is not None] == []


def _po() -> str:
    return LOCALE.read_text(encoding="utf-8")


_VIQR_SIGNS = {"\u0302": "^", "\u0306": "(", "\u031b": "+", "\u0301": "'", "\u0300": "`", "\u0309": "?"}
_VIQR_SIGNS |= {"\u0303": "~", "\u0323": "."}


def _viqr(text: str) -> str:
    """As a keyboard driver in VIQR mode types it: each letter, its shape's sign, then its tone's."""
    out = []
    for ch in text:
        if ch in "đĐ":
            out.append("dd" if ch == "đ" else "DD")
            continue
        base, *marks = unicodedata.normalize("NFD", ch)
        out.append(
            base + "".join(_VIQR_SIGNS[m] for m in sorted(marks, key=lambda m: m in "\u0301\u0300\u0309\u0303\u0323"))
        )
    return "".join(out)


def test_the_portals_vietnamese_typed_in_viqr_reads_back():
    """Every Vietnamese phrase of the portal's translations, typed in VIQR, is read back as it was; a few
    are left alone (one word closed by a tone, "Co'", tells too little). The phrases are cut at their
    full stops: a full stop after a vowel is VIQR's dot below (the next test)."""
    phrases = {
        piece.strip()
        for text in re.findall(r'^msgstr "(.+)"$', _po(), re.M)
        for piece in re.split(r"[^\w ,-]", text)
        if not piece.isascii()
    }
    cases = [(_viqr(phrase), phrase) for phrase in phrases]
    assert_read_back(cases, more_than=900)
    assert {legacy_reading(typed)[0] for typed, _ in cases if legacy_reading(typed)} == {"VIQR"}


def test_a_full_stop_after_a_vowel_is_the_dot_below_unless_escaped():
    """RFC 1456: a full stop after a vowel is written "\\." in VIQR; unescaped, it is the dot below (after
    a tone already there, the sentence's full stop)."""
    assert legacy_reading("Co^ng nha^n kho.")[2] == "Công nhân khọ"
    assert legacy_reading("Co^ng nha^n kho\\.")[2] == "Công nhân kho."
    assert legacy_reading("Co^ng nha^n ta.i kho^'.")[2] == "Công nhân tại khố."


def test_a_name_in_viqr_is_refused_quoting_its_unicode_reading():
    check = check_person(person(full_name="Ly' Thi. Tu'"), today=date(2026, 12, 5))
    assert codes(check, "full_name") == ["text_legacy_encoding"]
    english, vietnamese = in_both_languages(check.invalid[0])
    assert "VIQR" in english and "“Lý Thị Tú”" in english and "fonts" not in english
    assert "VIQR" in vietnamese and "“Lý Thị Tú”" in vietnamese and vietnamese != english
    again = check_person(check.normalized, today=date(2026, 12, 5))
    assert (again.codes, again.normalized) == (check.codes, check.normalized)  # refused again, as typed


def test_an_address_in_viqr_is_refused_and_a_foreigners_ascii_name_is_not_judged():
    check = check_person(person(address_line="So^' 3 Le^ Lo+.i"), today=date(2026, 12, 5))
    assert codes(check, "address_line") == ["text_legacy_encoding"]
    assert check_person(person(full_name="Ly' Tu' Anh", nationality="FR"), today=date(2026, 12, 5)).invalid == []
    assert (
        check_person(person(full_name="Nguyen Van An", address_line="P.3, Q.1"), today=date(2026, 12, 5)).invalid == []
    )


# --------------------------------------------------------------------------------------------
# Letters lost to question marks
# --------------------------------------------------------------------------------------------


def _saved_without_vietnamese(text: str, codepage: str = "ascii") -> str:
    """As a plain "CSV" save writes it on a computer whose code page has no Vietnamese letters."""
    return text.encode(codepage, errors="replace").decode(codepage)


@pytest.mark.parametrize(
    "text",
    [
        "Nguy?n V?n H?ng",  # "Nguyễn Văn Hùng" saved in ASCII
        "Nguy?n V?n Hùng",  # in Windows-1252: ù survives
        "Tr?n Th? Mai",
        "S? 12 ???ng L? L?i",  # "Số 12 Đường Lê Lợi": đ and ư lost in a run
        "Phòng K? toán",
        "Nguy?n Hoa",  # one word, its mark after a vowel: not VIQR's hook either
        "H?",  # "Hà": a word with no vowel left
        "Trang ch?",
    ],
)
def test_letters_lost_to_question_marks_are_told(text):
    assert letters_lost(text)
    assert legacy_reading(text) is None  # no VIQR reading ("Nguỷn"): the message is about the letters


@pytest.mark.parametrize(
    "text",
    [
        "Nguyễn Văn Hùng",
        "Co phai khong?",
        "Có được? Có thử?",
        "Not registered yet? Register the person first.",
        "Tổ trưởng (ca 2?)",
        "12?",
        "A ? B",
        "??",
        "",
    ],
)
def test_other_question_marks_are_not_lost_letters(text):
    """A question closes a word that has a vowel; a question mark not next to a letter says nothing of
    letters."""
    assert not letters_lost(text)


def test_no_text_of_the_portal_is_taken_for_lost_letters():
    """Every message of the portal, in Vietnamese and in English, with its questions ("… ra khỏi danh sách?"),
    its placeholders read as a name and the examples of this very rule left out."""
    texts = [
        re.sub(r"%\(\w+\)s|\{\w+\}", "Lan", "".join(re.findall(r'"(.*)"', block)))
        for block in re.findall(r'^(?:msgid|msgid_plural|msgstr|msgstr\[0\]) ((?:".*"\n)+)', _po(), re.M)
    ]
    texts = [t for t in texts if "Nguy?n" not in t]
    assert len(texts) > 2000 and sum("?" in t for t in texts) >= 10
    assert [t for t in texts if letters_lost(t)] == []


def test_the_portals_vietnamese_saved_without_vietnamese_letters_is_told():
    phrases = {
        text
        for text in re.findall(r'^msgstr "(.+)"$', _po(), re.M)
        if _saved_without_vietnamese(text, "cp1252") != text
    }
    assert len(phrases) > 500
    missed = [p for p in phrases if not letters_lost(_saved_without_vietnamese(p, "cp1252"))]
    assert len(missed) <= 0.01 * len(phrases), missed  # "Giờ tiêm" → "Gi? tiêm" reads as a question


def test_a_name_or_an_address_that_lost_letters_is_refused_with_what_to_do():
    check = check_person(
        person(full_name="Nguy?n V?n H?ng", address_line="S? 12 ???ng L? L?i"), today=date(2026, 12, 5)
    )
    assert codes(check, "full_name") == ["text_letters_lost"]  # not full_name_format: one reason, the right one
    assert codes(check, "address_line") == ["text_letters_lost"]  # an address took any character before
    english, vietnamese = in_both_languages(check.invalid[0])
    assert "“Nguy?n V?n H?ng”" in english and "CSV UTF-8" in english
    assert "“Nguy?n V?n H?ng”" in vietnamese and "dấu hỏi" in vietnamese
    again = check_person(check.normalized, today=date(2026, 12, 5))
    assert (again.codes, again.normalized) == (check.codes, check.normalized)


def test_a_foreigners_name_that_lost_letters_is_told_too():
    check = check_person(person(full_name="J?rgen M?ller", nationality="DE"), today=date(2026, 12, 5))
    assert codes(check, "full_name") == ["text_letters_lost"]
    assert check_person(person(occupation="Tổ trưởng (ca 2?)"), today=date(2026, 12, 5)).invalid == []


# --------------------------------------------------------------------------------------------
# Unicode read in a one-byte code page
# --------------------------------------------------------------------------------------------

MISREAD = [
    "Nguyễn Văn Hùng",
    "Lê Văn Tám",  # misread "LÃª VÄƒn TÃ¡m": every character a letter
    "Hà",  # à's second byte is the no-break space
    "Trần Thị Đào",  # Đ's second byte is U+0090, which normalizing drops
    "Số 12 Đường Lê Lợi, Phường Tân Phong",
    "Phòng Kế toán",
    "Mường",
]


@pytest.mark.parametrize("text", MISREAD)
def test_unicode_read_in_a_windows_code_page_is_told_and_read_back(text):
    forms = misread_forms(text)
    assert len(forms) == 2  # Windows-1252 and Windows-1258
    assert [misread_utf8(form)[1] for form in forms] == [text, text]  # type: ignore[index]
    assert misread_utf8(forms[0])[0] == "Windows-1252"  # type: ignore[index]


def test_no_text_of_the_portal_is_taken_for_misread_unicode():
    texts = ["".join(re.findall(r'"(.*)"', block)) for block in re.findall(r'^msg\S* ((?:".*"\n)+)', _po(), re.M)]
    assert len(texts) > 2000
    assert [t for t in texts if misread_utf8(t) and "Nguyá»…n" not in t] == []  # but this rule's own examples
    assert [t for t in ["José Müller", "Hoà”", "Lô A·12", "NguyÔn V¨n Hïng", "Ã"] if misread_utf8(t)] == []


def test_a_misread_name_is_refused_with_its_reading_even_where_every_character_is_a_letter():
    check = check_person(person(full_name="LÃª VÄƒn TÃ¡m"), today=date(2026, 12, 5))
    assert codes(check, "full_name") == ["text_misread_encoding"]
    english, vietnamese = in_both_languages(check.invalid[0])
    assert "“Lê Văn Tám”" in english and "Windows-1252" in english and "65001" in english
    assert "“Lê Văn Tám”" in vietnamese and "bảng mã" in vietnamese
    again = check_person(check.normalized, today=date(2026, 12, 5))
    assert (again.codes, again.normalized) == (check.codes, check.normalized)


def test_a_misread_address_is_read_whole_and_a_foreigners_name_is_judged_too():
    [_1252, typed] = misread_forms("Số 12 Đường Lê Lợi")  # Windows-1258: a Vietnamese Windows
    check = check_person(person(address_line=typed), today=date(2026, 12, 5))
    assert codes(check, "address_line") == ["text_misread_encoding"]
    assert "“Số 12 Đường Lê Lợi”" in str(check.invalid[0].message)
    hoa = check_person(person(full_name=misread_forms("Lê Thị Hà")[0] + " "), today=date(2026, 12, 5))
    assert codes(hoa, "full_name") == ["text_misread_encoding"]  # "HÃ" and a no-break space, at the end
    foreign = check_person(
        person(full_name=misread_forms("Jürgen Müller")[0], nationality="DE"), today=date(2026, 12, 5)
    )
    assert codes(foreign, "full_name") == ["text_misread_encoding"]
