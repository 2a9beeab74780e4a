"""bulk_insert / copy_prepare: what COPY writes reads back as what the objects held (the text format made
here, not by the driver), keys drawn or left to the database, and what Builder builds."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db.models import JSONField
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vaxbook.common.bulk import (
    _INLINE,
    _KINDS,
    _encoder,
    _text,
    _Unsupported,
    bulk_insert,
    copy_prepare,
    draw_keys,
    row_encoder,
)
from vaxbook.common.models import AuditEvent
from vaxbook.common.rows import Builder
from vaxbook.registry.models import Person

pytestmark = pytest.mark.django_db

KIND_NAMES = ["str", "int", "uuid", "date", "bool", ""]


def _encoder_for(kind: str) -> Any:
    """A column's encoder as copy_prepare makes it: a text field's for "str", a JSON field's for "",
    the key's (`_text`) for "int", and a plain field's for the others."""
    if kind == "":
        return _encoder(JSONField(), lambda value: value)
    if kind == "int":
        return _text
    field = {"str": Person._meta.get_field("full_name"), "uuid": Person._meta.get_field("public_id")}.get(
        kind, Person._meta.get_field("date_of_birth")
    )
    return _encoder(field, lambda value: value)


AWKWARD = "Nguyễn\tVăn\\N \\ “A”\r\nB ' \" ; ,"


def test_values_read_back_as_written(clerk_a: Any, ward1: Any, priority_group: Any) -> None:
    build = Builder(Person)
    persons = [
        build(
            {
                "full_name": AWKWARD if i == 0 else f"Người {i}",
                "search_name": "nguyen van",
                "date_of_birth": date(1990, 1, 1 + i),
                "sex": Person.Sex.FEMALE,  # a choices member, not a plain str
                "phone": "",
                "id_type": Person.IdType.CCCD,
                "id_number": f"07519000000{i}",
                "address_line": "" if i else "\\.",  # COPY's end-of-data marker, as a value
                "ward_id": ward1.pk,
                "priority_group_id": priority_group.pk,
                "source": Person.Source.ORGANIZATION,
                "data_status": Person.DataStatus.INCOMPLETE,
                "problems": [{"field": "phone", "code": "phone_missing", "note": AWKWARD}] if i == 0 else [],
                "created_by_id": clerk_a.pk,
            },
            {"ward": ward1, "priority_group": priority_group},
        )
        for i in range(3)
    ]
    bulk_insert(persons)
    assert all(p.pk is not None and not p._state.adding for p in persons)
    for made in persons:
        stored = Person.objects.get(pk=made.pk)
        for field in Person._meta.concrete_fields:
            assert getattr(stored, field.attname) == getattr(made, field.attname), field.name


def test_events_numbered_by_the_database(clerk_a: Any) -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    events = [
        Builder(AuditEvent)(
            {"at": at, "actor_id": clerk_a.pk, "action": "t", "subject_type": "x.y", "subject_id": str(i)}
            | {"data": {"text": AWKWARD, "n": i, "nested": [None, True, 1.5]}}
        )
        for i in range(4)
    ]
    prepared = copy_prepare(events, keys=False)
    assert all(e.pk is None for e in events)
    prepared.write()
    stored = list(AuditEvent.objects.filter(action="t").order_by("subject_id"))
    assert [e.subject_id for e in stored] == ["0", "1", "2", "3"]
    assert all(e.pk is not None for e in stored)
    assert stored[2].data == {"text": AWKWARD, "n": 2, "nested": [None, True, 1.5]}
    assert stored[0].at != at  # auto_now_add: stamped on write, as bulk_create does


def test_one_json_value_shared_by_several_rows_is_written_to_each_and_kept_apart_from_the_others(
    clerk_a: Any,
) -> None:
    shared = {"source": "organization", "data_status": "incomplete", "text": AWKWARD}
    alike = {"source": "organization", "data_status": "incomplete", "text": AWKWARD}  # equal, not the same
    other = {"source": "organization", "data_status": "complete"}
    datas = [shared, other, shared, alike, [1, "x"], shared, other]
    events = [
        Builder(AuditEvent)(
            {"actor_id": clerk_a.pk, "action": "j", "subject_type": "x.y", "subject_id": str(i), "data": data}
        )
        for i, data in enumerate(datas)
    ]
    bulk_insert(events, keys=False)
    stored = sorted(AuditEvent.objects.filter(action="j"), key=lambda e: int(e.subject_id))
    assert [e.data for e in stored] == datas


def test_a_cached_related_object_whose_key_differs_is_checked_by_django(clerk_a: Any, ward1: Any, ward2: Any) -> None:
    """The related objects cached on a row are trusted only when their key is the row's; otherwise
    Django's own check runs (and, as for bulk_create, the cached object gives way to the key)."""
    build = Builder(Person)
    values = {
        "full_name": "A",
        "search_name": "a",
        "date_of_birth": date(1990, 1, 1),
        "sex": Person.Sex.FEMALE,
        "source": Person.Source.ORGANIZATION,
        "data_status": Person.DataStatus.INCOMPLETE,
        "problems": [],
    }
    agreeing = build({**values, "id_number": "1", "ward_id": ward1.pk}, {"ward": ward1})
    stale = build({**values, "id_number": "2", "ward_id": ward1.pk}, {"ward": ward2})
    unsaved_ward = type(ward1)(code="99999", name="Chưa lưu", level=ward1.level)
    unsaved = build({**values, "id_number": "3", "ward_id": None}, {"ward": unsaved_ward})
    bulk_insert([agreeing, stale])
    assert Person.objects.get(pk=agreeing.pk).ward_id == ward1.pk
    assert Person.objects.get(pk=stale.pk).ward_id == ward1.pk
    assert "ward" not in stale._state.fields_cache  # Django's check dropped the stale cached ward
    with pytest.raises(ValueError, match="unsaved related object"):
        bulk_insert([unsaved, build({**values, "id_number": "4"})])


def test_keys_drawn_before_the_write_are_the_ones_written(clerk_a: Any) -> None:
    events = [
        Builder(AuditEvent)({"actor_id": clerk_a.pk, "action": "k", "subject_type": "x.y", "subject_id": str(i)})
        for i in range(3)
    ]
    if not draw_keys(events):
        pytest.skip("this database makes keys only on insert")
    keys = [e.pk for e in events]
    assert len(set(keys)) == 3
    bulk_insert(events)
    assert sorted(AuditEvent.objects.filter(action="k").values_list("pk", flat=True)) == sorted(keys)


def test_builder_builds_new_instances(clerk_a: Any) -> None:
    values = {"actor_id": clerk_a.pk, "action": "b", "subject_type": "x.y", "subject_id": "2"}
    event = Builder(AuditEvent)(values, {"actor": clerk_a})
    for field in AuditEvent._meta.concrete_fields:
        expected = values.get(field.attname, field.get_default())
        if field.attname in values or not callable(field.default):
            assert getattr(event, field.attname) == expected, field.name
    assert event.actor is clerk_a and event._state.adding
    assert event.data == {} and event.data is not Builder(AuditEvent)(values).data  # a fresh default each
    person = Builder(Person)({"full_name": "A"})
    assert person.public_id != Builder(Person)({"full_name": "A"}).public_id
    with pytest.raises(AssertionError):
        Builder(Person)({"no_such_field": 1})


# Values of every type a column may hold, the usual and the unusual: texts with what COPY escapes, a
# choices member, None, bool next to int, naive and aware times, JSON of several shapes.
# What COPY escapes (backslash, tab, newline, carriage return) drawn as often as the rest together.
TEXTS = st.text(alphabet=st.sampled_from([*"aZ9 ă\x00\x0b\u00a0\u200b\u2028\"',;", *"\\\t\n\r" * 3]), max_size=8)
ANY_VALUE = st.one_of(
    st.none(),
    TEXTS,
    st.sampled_from([Person.Sex.FEMALE, Person.Source.ORGANIZATION]),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.uuids(),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.sampled_from([UTC])),
    st.sampled_from([[], {}, [1, "x"], {"k": "\t\\"}]),
    st.floats(allow_nan=False),
)
# Each column: mostly the value of its kind (what the generated code inlines), else anything.
USUAL = {
    "str": TEXTS,
    "int": st.integers(),
    "uuid": st.uuids(),
    "date": st.dates(),
    "bool": st.booleans(),
    "": ANY_VALUE,
}
ROW = st.tuples(*(st.one_of(USUAL[kind], USUAL[kind], ANY_VALUE) for kind in KIND_NAMES))


@given(rows=st.lists(ROW, min_size=1, max_size=5))
@example(rows=[("a\\b", 1, None, None, None, [])])  # printable, but for its backslash
@example(rows=[("a\tb", None, None, None, True, {})])
@settings(max_examples=500, deadline=None)
def test_the_generated_row_encoder_formats_a_row_as_the_column_encoders_do(rows: list[tuple[Any, ...]]) -> None:
    """`row_encoder` inlines each kind's usual value; whatever a column holds, its line is the encoders'."""
    columns = [(_encoder_for(kind), f"c{i}", kind) for i, kind in enumerate(KIND_NAMES)]
    line = row_encoder(columns)
    for values in rows:
        attrs = {f"c{i}": value for i, value in enumerate(values)}
        try:
            expected = "\t".join([encode(attrs[name]) for encode, name, _kind in columns])
        except _Unsupported:
            with pytest.raises(_Unsupported):
                line(attrs)
            continue
        assert line(attrs) == expected


def test_every_kind_inlined_is_tested() -> None:
    assert set(_INLINE) == set(KIND_NAMES) and set(_KINDS.values()) <= set(_INLINE)
    assert _KINDS[Person._meta.get_field("id").get_internal_type()] == "int"


def test_an_empty_json_value_is_written_as_its_encoder_would() -> None:
    encode = _encoder(AuditEvent._meta.get_field("data"), lambda value: value)
    assert (encode([]), encode({}), encode([None]), encode({"a": "\t"})) == ("[]", "{}", "[null]", '{"a": "\\\\t"}')
