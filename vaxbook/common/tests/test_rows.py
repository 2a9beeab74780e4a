"""Hand-written look-ups load the same instances, with the same Python types, as the ORM (both databases)."""

from datetime import date
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from vaxbook.clinic.models import Dose
from vaxbook.common.models import AuditEvent
from vaxbook.common.rows import ModelRows, execute_all, execute_at_once, fetch, insert_values_sql, param
from vaxbook.common.testing import PersonFactory
from vaxbook.registry.models import Person


def _select(rows: ModelRows[Any], where: str, params: list[Any]) -> list[tuple[Any, ...]]:
    return fetch(rows.select(connection, where), params)


def test_a_person_loads_exactly_as_the_orm_loads_it(ward1: Any, priority_group: Any) -> None:
    made = PersonFactory(ward=ward1, priority_group=priority_group, problems=[{"field": "phone", "code": "x"}])
    orm = Person.objects.get(pk=made.pk)
    rows = ModelRows(Person, "p")
    [row] = _select(rows, "p.public_id = %s", [param(Person, "public_id", made.public_id)])
    loaded = rows.load(row)
    assert not loaded._state.adding and loaded._state.db == "default"
    for field in Person._meta.concrete_fields:
        mine, theirs = getattr(loaded, field.attname), getattr(orm, field.attname)
        assert (mine, type(mine)) == (theirs, type(theirs)), field.name


def test_a_subset_loads_with_the_rest_deferred(ward1: Any, priority_group: Any) -> None:
    """Any subset, in any order: what `.only()` would give (the rest read on access)."""
    made = PersonFactory(ward=ward1, priority_group=priority_group)
    rows = ModelRows(Person, "p", fields=["date_of_birth", "id", "data_status"])
    [row] = _select(rows, "p.id = %s", [made.pk])
    loaded = rows.load(row)
    assert (loaded.pk, loaded.date_of_birth, loaded.data_status) == (made.pk, made.date_of_birth, made.data_status)
    assert "full_name" in loaded.get_deferred_fields() and "date_of_birth" not in loaded.get_deferred_fields()
    assert loaded.full_name == made.full_name  # a deferred field, read on access


def test_no_model_has_init_signal_receivers() -> None:
    """`ModelRows.load` and `Builder` build instances without `Model.__init__`, so without its
    pre_init/post_init signals: a receiver added to one of them would be skipped silently."""
    from django.db.models.signals import post_init, pre_init

    assert not pre_init.receivers and not post_init.receivers


def test_a_subset_of_fields_is_converted_too(db: Any) -> None:
    rows = ModelRows(Dose, "d", fields=["administered_on", "vaccine_id"])
    assert rows.width == 2
    day_param = param(Dose, "administered_on", date(2021, 8, 1))
    assert fetch("SELECT %s", [day_param])  # a date is a valid parameter on both databases
    assert rows.values(("2021-08-01" if connection.vendor == "sqlite" else date(2021, 8, 1), 3)) == [
        date(2021, 8, 1),
        3,
    ]


def test_insert_prepares_values_like_save(clerk_a: Any) -> None:
    at = timezone.now()
    values = {
        "at": at,
        "actor": clerk_a.pk,
        "action": "t",
        "subject_type": "x.y",
        "subject_id": "1",
        "data": {"a": [1, "b"]},
    }
    assert execute_all([insert_values_sql(AuditEvent, values)]) == [[]]
    event = AuditEvent.objects.get(action="t")
    assert (event.at, event.actor, event.data) == (at, clerk_a, {"a": [1, "b"]})


def test_builder_makes_what_the_constructor_makes(clerk_a: Any) -> None:
    from vaxbook.common.bulk import bulk_insert
    from vaxbook.common.rows import Builder

    values = {"actor_id": clerk_a.pk, "action": "b", "subject_type": "x.y", "subject_id": "2"}
    built, made = Builder(AuditEvent)(values), AuditEvent(**values)
    for field in AuditEvent._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(made, field.attname), field.name
    assert built._state.adding and built.data == {} and built.data is not Builder(AuditEvent)(values).data
    built_with_actor = Builder(AuditEvent)(values, {"actor": clerk_a})
    assert built_with_actor.actor is clerk_a
    bulk_insert([built, built_with_actor])
    assert AuditEvent.objects.filter(action="b").count() == 2 and built.pk is not None


def test_read_all_answers_each_query_with_its_own_rows(ward1: Any, priority_group: Any) -> None:
    from vaxbook.common.rows import Read, read, read_all

    made = PersonFactory(ward=ward1, priority_group=priority_group)
    rows = ModelRows(Person, "p")
    qn = connection.ops.quote_name
    by_id = f"SELECT {rows.columns(connection)} FROM {qn(rows.table)} p WHERE p.id = %s"
    one = Read(by_id, [made.pk], lambda r: [rows.load(x).full_name for x in r])
    none = Read(by_id, [-1], lambda r: r)
    count = Read(f"SELECT COUNT(*) FROM {qn(rows.table)}", [], lambda r: r[0][0])
    assert read_all(one, none, count, one) == [[made.full_name], [], 1, [made.full_name]]
    assert read(count) == 1


@pytest.mark.django_db(transaction=True)
def test_execute_at_once_writes_all_or_nothing_outside_a_transaction(clerk_a: Any) -> None:
    """Outside a transaction: one implicit transaction on PostgreSQL, an atomic block elsewhere. A
    statement that fails takes the ones before it back with it."""

    def event(action: str) -> tuple[str, list[Any]]:
        values = {
            "at": timezone.now(),
            "actor": clerk_a.pk,
            "action": action,
            "subject_type": "x.y",
            "subject_id": "1",
            "data": {},
        }
        return insert_values_sql(AuditEvent, values)

    assert connection.get_autocommit()
    assert execute_at_once([event("one"), event("two")]) == [[], []]
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {"one", "two"}
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    failing = (
        f"INSERT INTO {table} (id, at, action, subject_type, subject_id, data)"
        " VALUES (%s, %s, 'x', 'x.y', '1', '{}')",
        [AuditEvent.objects.get(action="one").pk, param(AuditEvent, "at", timezone.now())],
    )
    with pytest.raises(IntegrityError):
        execute_at_once([event("three"), failing])
    assert not AuditEvent.objects.filter(action="three").exists()
    assert connection.get_autocommit() and not connection.in_atomic_block


@pytest.mark.django_db(transaction=True)
def test_execute_at_once_not_durable_relaxes_only_its_own_commit() -> None:
    """durable=False: on PostgreSQL that transaction's commit does not wait for the WAL flush; the
    connection's next transactions do again. Elsewhere, and inside a caller's transaction, nothing
    changes. Either way the statements' own results come back, one each."""
    show = ("SELECT current_setting('synchronous_commit')", [])
    if connection.vendor == "postgresql":
        assert execute_at_once([show], durable=False) == [[("off",)]]
        assert execute_at_once([show, show], durable=False) == [[("off",)], [("off",)]]
        assert execute_at_once([show]) == [[("on",)]]
        with transaction.atomic():
            assert execute_at_once([show], durable=False) == [[("on",)]]
        assert execute_at_once([show]) == [[("on",)]]
    else:
        one = ("SELECT 1", [])
        assert execute_at_once([one, one], durable=False) == [[(1,)], [(1,)]]


def test_insert_only_if_writes_when_the_condition_holds(clerk_a: Any) -> None:
    values = {
        "at": timezone.now(),
        "actor": clerk_a.pk,
        "action": "c",
        "subject_type": "x.y",
        "subject_id": "1",
        "data": {},
    }
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    exists = f"EXISTS (SELECT 1 FROM {table} WHERE action = %s)"
    execute_all([insert_values_sql(AuditEvent, {**values, "action": "no"}, only_if=(exists, ["missing"]))])
    execute_all([insert_values_sql(AuditEvent, values, only_if=(exists, ["c"]))])
    assert not AuditEvent.objects.exists()
    execute_all(
        [
            insert_values_sql(AuditEvent, values),
            insert_values_sql(AuditEvent, {**values, "action": "d"}, only_if=(exists, ["c"])),
        ]
    )
    assert sorted(AuditEvent.objects.values_list("action", flat=True)) == ["c", "d"]
    assert AuditEvent.objects.get(action="d").actor == clerk_a
