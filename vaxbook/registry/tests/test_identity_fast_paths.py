"""The fast paths of identity.py give exactly the results of the plain rules they shortcut.

The reference functions below are the plain forms (character by character, phonenumbers for every
number); hypothesis feeds both the same text, including the characters the fast paths step around
(controls, format characters, zero-width and non-breaking spaces, combining marks, full-width digits).
"""

import dataclasses
import re
import unicodedata

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxbook.registry import identity
from vaxbook.registry.countries import COUNTRY_ALIASES, COUNTRY_NAMES
from vaxbook.registry.identity import _D_LETTERS, _NAME_PUNCTUATION, _as_text, _is_invisible

ALPHABET = st.sampled_from(
    list("abcxyzABCXYZ0123456789 .-+'/()")
    + list("ăâđêôơưĂÂĐÊÔƠƯàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ")
    + ["\u00a0", "\u200b", "\u200c", "\ufeff", "\u00ad", "\t", "\n", "\x00", "\x7f", "\u0301", "\u0323", "\u0306"]
    + ["\uff10", "\uff19", "\u2013", "\u2019", "\u02bc", "ß", "İ", "ǅ", "\u3000", "\u2028"]
)
TEXT = st.text(alphabet=ALPHABET, max_size=30)


def plain_normalize_text(s: object) -> str:
    text = "".join(ch for ch in _as_text(s) if ch == "\u200b" or not _is_invisible(ch))
    # a zero-width space: a space between words, nothing inside one (its own rule, tested in test_identity)
    text = identity._zero_width_spaces(text)
    return " ".join(unicodedata.normalize("NFC", text).split())


def plain_search_name(s: object) -> str:
    text = plain_normalize_text(s).lower().translate(_D_LETTERS)
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.category(ch).startswith("M"))
    return " ".join(unicodedata.normalize("NFC", text).split())


def plain_compact_code(s: object, drop: str) -> str:
    text = _as_text(s)
    if match := identity._FLOAT_SUFFIX.fullmatch(text):
        text = match.group(1)
    out = []
    for ch in text:
        if ch.isspace() or ch in drop or _is_invisible(ch):
            continue
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded.upper() if folded.isascii() and (folded.isalnum() or folded == "+") else ch)
    return "".join(out)


def plain_name_is_letters(name: str) -> bool:
    has_letter = False
    previous = " "
    for ch in name:
        category = unicodedata.category(ch)
        if category.startswith("L"):
            has_letter = True
        elif category.startswith("M"):
            if not unicodedata.category(previous).startswith(("L", "M")):
                return False  # a mark of no letter
        elif not (ch == " " or ch in _NAME_PUNCTUATION):
            return False
        previous = ch
    return has_letter


@settings(max_examples=3000, deadline=None)
@given(TEXT)
def test_normalize_text_and_search_name_match_the_plain_rules(text):
    assert identity.normalize_text(text) == plain_normalize_text(text)
    assert identity.search_name(text) == plain_search_name(text)


@settings(max_examples=3000, deadline=None)
@given(TEXT, st.sampled_from([".-", ".()/-\u2010\u2013"]))
def test_compact_code_matches_the_plain_rule(text, drop):
    assert identity._compact_code(text, drop) == plain_compact_code(text, drop)


@settings(max_examples=3000, deadline=None)
@given(TEXT)
def test_check_name_matches_the_plain_rule(text):
    name = identity.normalize_name(text)
    if name and len(name) <= identity.FULL_NAME_MAX_LENGTH:
        # the character rule's fast paths, after the rules of the name's ends and of a title before it
        edges = name[0] in _NAME_PUNCTUATION or name[-1] in _NAME_PUNCTUATION or identity._title(name) is not None
        assert (identity.check_name(name) == []) == (not edges and plain_name_is_letters(name))


def test_a_vn_mobiles_validity_depends_on_its_first_five_digits_only():
    """The phone fast path asks phonenumbers once per 5-digit prefix: true for every prefix and suffix."""
    for second in "35789":
        for rest in range(1000):
            prefix = f"0{second}{rest:03d}"
            answers = {identity._is_vn_mobile(prefix + suffix) for suffix in ("00000", "50505", "99999")}
            assert len(answers) == 1, prefix


def test_normalize_phone_agrees_with_phonenumbers():
    for national in ("0912345678", "0312345678", "0212345678", "0591234567", "0991234567", "0861234567"):
        parsed = phonenumbers.parse(national, "VN")
        expected = phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in identity._MOBILE_TYPES
        assert (identity.normalize_phone(national) is not None) == expected
        assert (identity.normalize_phone(float(national)) is not None) == expected


INPUT_VALUES = st.one_of(st.none(), st.booleans(), TEXT, st.integers(), st.floats(allow_nan=False))


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(identity._INPUT_NAMES)), INPUT_VALUES))
def test_person_input_and_input_replaced_are_the_constructor_and_replace(values):
    made = identity.person_input(values)
    assert made == identity.PersonInput(**values) and type(made) is identity.PersonInput
    changes = {name: "changed" for name in list(values)[:3]}
    assert identity.input_replaced(made, **changes) == dataclasses.replace(made, **changes)
    assert made == identity.PersonInput(**values)  # the original is left as it was


def test_person_input_refuses_an_unknown_field_and_the_class_has_no_post_init():
    """person_input skips the constructor: equal only while PersonInput has no __post_init__."""
    assert not hasattr(identity.PersonInput, "__post_init__")
    with pytest.raises(TypeError, match="no_such_field"):
        identity.person_input({"full_name": "A", "no_such_field": 1})
    with pytest.raises(TypeError, match="no_such_field"):
        identity.input_replaced(identity.PersonInput(), no_such_field=1)


def test_every_code_a_nationality_may_be_is_two_capitals() -> None:
    """The rule takes a country's code from the table (`_is_country_code`): each is ``[A-Z]{2}``."""
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in COUNTRY_NAMES)
    assert set(COUNTRY_ALIASES.values()) <= set(COUNTRY_NAMES)
