"""Every string the code translates is one `makemessages` finds: xgettext does not look inside an f-string's
braces, so a `pgettext(...)` there is translated only while someone keeps its entry in the catalogue by hand;
the next `makemessages` marks it obsolete (the downloads' Vietnamese names were, until this test)."""

import io
import pathlib
import tokenize

import vaxbook

_TRANSLATING = {
    "_",
    "gettext",
    "gettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "npgettext",
    "npgettext_lazy",
    "gettext_noop",
}


def _calls_inside_f_strings(source: str) -> list[int]:
    """The lines where a translating function is called inside an f-string's replacement field."""
    depth, lines = 0, []
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    for token, after in zip(tokens, [*tokens[1:], None], strict=True):
        if token.type == tokenize.FSTRING_START:
            depth += 1
        elif token.type == tokenize.FSTRING_END:
            depth -= 1
        elif (
            depth
            and token.type == tokenize.NAME
            and token.string in _TRANSLATING
            and after is not None
            and after.string == "("
        ):
            lines.append(token.start[0])
    return lines


def test_the_probe_finds_a_call_inside_an_f_string() -> None:
    assert _calls_inside_f_strings("name = f\"{pgettext('download name', 'errors')}.xlsx\"\n") == [1]
    assert _calls_inside_f_strings('name = f"{stem}-{suffix}.xlsx"\nword = _("x")\n') == []


def test_no_translated_string_hides_inside_an_f_string() -> None:
    project = pathlib.Path(vaxbook.__file__).parent.parent
    found = [
        f"{path.relative_to(project)}:{line}"
        for folder in ("vaxbook", "config")
        for path in sorted((project / folder).rglob("*.py"))
        for line in _calls_inside_f_strings(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_django_messages_its_catalogue_leaves_untranslated_are_ours() -> None:
    from django.utils import translation

    from vaxbook.common.django_messages import DJANGO_MESSAGES

    with translation.override("vi"):
        assert [m for m in DJANGO_MESSAGES if translation.gettext(m) == m] == []
