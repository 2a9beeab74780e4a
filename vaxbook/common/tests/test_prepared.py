"""The hand-written statements as prepared statements on PostgreSQL (common/prepared.py): planned once per
connection, the same rows as text, and every way a PREPARE can go wrong leaves the request working."""

import uuid
from datetime import date
from typing import Any

import pytest
from django.db import DataError, IntegrityError, ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from vaxbook.common import prepared
from vaxbook.common.models import IdempotencyRecord
from vaxbook.common.rows import execute_all, fetch, insert_values_sql

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")


def _sent(call: Any) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        result = call()
    return result, [q["sql"] for q in ctx.captured_queries]


def _prepared_here() -> dict[str, bool]:
    """The prepared statements of this session, with whether PostgreSQL plans them once (generic)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, generic_plans > 0 FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def _unique_sql(text: str) -> str:
    """A statement this process has never sent (the module's caches are process-wide)."""
    return f"{text} /* {uuid.uuid4().hex} */"


@pytest.mark.django_db
def test_a_statement_is_prepared_once_then_executed_with_a_generic_plan(clerk_a: Any) -> None:
    sql = _unique_sql("SELECT u.username FROM accounts_user u WHERE u.id = ANY(%s::bigint[])")
    first, sent_first = _sent(lambda: fetch(sql, [[clerk_a.pk]]))
    again, sent_again = _sent(lambda: fetch(sql, [[clerk_a.pk]]))
    assert first == again == [("clerk_a",)]
    assert "PREPARE vx_" in sent_first[0] and "EXECUTE vx_" in sent_first[0]
    assert sent_again[0].startswith("EXECUTE vx_") and "PREPARE" not in sent_again[0]
    for _ in range(3):
        fetch(sql, [[clerk_a.pk]])
    name = prepared.plan(sql).name  # type: ignore[union-attr]
    # An array of keys: without force_generic_plan PostgreSQL would plan it at every execution.
    assert _prepared_here()[name] is True


@pytest.mark.django_db
def test_a_percent_sign_and_a_statement_without_parameters(clerk_a: Any) -> None:
    sql = _unique_sql("SELECT count(*) FROM accounts_user u WHERE u.username LIKE 'clerk%%'")
    assert fetch(sql, []) == fetch(sql, []) == [(1,)]
    assert prepared.plan(sql).arity == 0  # type: ignore[union-attr]


@pytest.mark.django_db(transaction=True)
def test_a_statement_postgresql_cannot_prepare_runs_as_text_outside_a_transaction() -> None:
    sql = _unique_sql("SELECT %s + %s")  # unknown + unknown: PREPARE cannot choose the operator
    assert fetch(sql, [2, 3]) == [(5,)]
    assert fetch(sql, [2, 3]) == [(5,)]
    _, sent = _sent(lambda: fetch(sql, [4, 5]))
    assert sent == ["SELECT 4 + 5 " + sql.split(" ", 4)[-1]]


@pytest.mark.django_db(transaction=True)
def test_a_statement_postgresql_cannot_prepare_runs_as_text_inside_a_transaction(clerk_a: Any) -> None:
    """The PREPARE is checked under a savepoint: the transaction goes on, and its writes commit."""
    sql = _unique_sql("SELECT %s IS NULL")
    key = uuid.uuid4().hex
    with transaction.atomic():
        assert fetch(sql, [None]) == [(True,)]
        insert = insert_values_sql(
            IdempotencyRecord,
            {
                "user": clerk_a.pk,
                "scope": "test",
                "key": key,
                "body_hash": "x",
                "status_code": 200,
                "response": {},
                "created_at": timezone.now(),
            },
        )
        execute_all([insert])
    assert IdempotencyRecord.objects.filter(key=key).exists()
    assert fetch(sql, [1]) == [(False,)]


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_the_prepare_leaves_the_next_request_working(clerk_a: Any) -> None:
    """A unique violation in the query that prepared the INSERT: the PREPARE ran, and its name is taken
    on the connection, so the next use prepares the statement under another name."""
    values = {
        "user": clerk_a.pk,
        "scope": "test",
        "key": "k",
        "body_hash": "x",
        "status_code": 200,
        "response": {},
        "created_at": timezone.now(),
    }
    IdempotencyRecord.objects.create(**{**values, "user": clerk_a})
    sql, params = insert_values_sql(IdempotencyRecord, values)
    sql = _unique_sql(sql)
    with pytest.raises(IntegrityError), transaction.atomic():
        execute_all([(sql, params)])
    execute_all([(sql, [*params[:2], "k2", *params[3:]])])
    assert IdempotencyRecord.objects.filter(key="k2").exists()


@pytest.mark.django_db(transaction=True)
def test_an_uncertain_failure_prepares_the_statement_again_under_a_new_name(clerk_a: Any) -> None:
    """An error of analysis (here a date where the statement takes a number) in the query that prepared
    the statement: whether the PREPARE ran is not known, so the statement gets another name."""
    sql = _unique_sql("SELECT u.username FROM accounts_user u WHERE u.id = %s")
    assert fetch(sql, [clerk_a.pk]) == [("clerk_a",)]  # checked and prepared on this connection
    connection.close()  # a new connection: its first PREPARE fails with the query
    with pytest.raises((ProgrammingError, DataError)), transaction.atomic():
        fetch(sql, [date.today()])
    assert fetch(sql, [clerk_a.pk]) == [("clerk_a",)]
    name = prepared.plan(sql).name  # type: ignore[union-attr]
    assert f"{name}_1" in _prepared_here()


@pytest.mark.django_db
def test_turned_off_statements_go_as_text(settings: Any, clerk_a: Any) -> None:
    settings.DATABASE_PREPARED_STATEMENTS = False
    sql = _unique_sql("SELECT u.username FROM accounts_user u WHERE u.id = %s")
    result, sent = _sent(lambda: fetch(sql, [clerk_a.pk]))
    assert result == [("clerk_a",)]
    assert "PREPARE" not in sent[0] and "EXECUTE" not in sent[0]


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again(clerk_a: Any) -> None:
    sql = _unique_sql("SELECT u.username FROM accounts_user u WHERE u.id = %s")
    fetch(sql, [clerk_a.pk])
    connection.close()
    result, sent = _sent(lambda: fetch(sql, [clerk_a.pk]))
    assert result == [("clerk_a",)] and "PREPARE vx_" in sent[0]


def test_statements_that_are_not_prepared() -> None:
    assert prepared.plan("SET LOCAL synchronous_commit TO OFF") is None
    assert prepared.plan("COMMIT") is None
    many = "INSERT INTO t (a) VALUES " + ", ".join(["(%s)"] * 1001)
    assert prepared.plan(many) is None
    found = prepared.plan("UPDATE t SET a = %s WHERE b = %s AND c LIKE 'x%%'")
    assert found is not None and found.arity == 2 and found.body == "UPDATE t SET a = $1 WHERE b = $2 AND c LIKE 'x%%'"


@pytest.mark.django_db
def test_a_look_up_by_many_keys_is_planned_for_its_own_keys(clerk_a: Any) -> None:
    """An import's chunk: the same statement as a request's look-up, with thousands of keys, goes as text."""
    sql = _unique_sql("SELECT u.username FROM accounts_user u WHERE u.id = ANY(%s::bigint[])")
    assert fetch(sql, [[clerk_a.pk]]) == [("clerk_a",)]
    many = [clerk_a.pk, *range(-1000, 0)]
    result, sent = _sent(lambda: fetch(sql, [many]))
    assert result == [("clerk_a",)]
    assert sent[0].startswith("SELECT u.username") and "EXECUTE" not in sent[0]


@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_gone_from_the_session_is_prepared_again(clerk_a: Any) -> None:
    sql = _unique_sql("SELECT u.username FROM accounts_user u WHERE u.id = %s")
    assert fetch(sql, [clerk_a.pk]) == [("clerk_a",)]
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert fetch(sql, [clerk_a.pk]) == [("clerk_a",)]  # sent again as text, outside a transaction
    result, sent = _sent(lambda: fetch(sql, [clerk_a.pk]))
    assert result == [("clerk_a",)] and "PREPARE vx_" in sent[0]


@pytest.mark.django_db
def test_a_statement_twice_in_one_query_is_prepared_once(clerk_a: Any) -> None:
    sql = _unique_sql("SELECT u.username FROM accounts_user u WHERE u.id = %s")
    results, sent = _sent(lambda: execute_all([(sql, [clerk_a.pk]), (sql, [clerk_a.pk])]))
    assert results == [[("clerk_a",)], [("clerk_a",)]]
    assert sent[0].count("PREPARE vx_") == 1 and sent[0].count("EXECUTE vx_") == 2


@pytest.mark.django_db
def test_a_generic_plan_on_a_skewed_table_forks_no_parallel_workers() -> None:
    """A lot's stock ledger is skewed (a few (facility, lot) pairs with 100,000 movements each). The generic
    plan of the stock sum is costed for the average pair; with parallel workers allowed PostgreSQL chose
    two of them, forked at every execution (28 ms for a 0.3 ms look-up). The connection allows none.
    (The table is small here: parallel plans are made cheap, as they are for a large table.)"""
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
        cursor.execute("CREATE TABLE vx_skewed (facility_id bigint, lot_id bigint, quantity int)")
        cursor.execute(
            "INSERT INTO vx_skewed SELECT g % 4, g % 4, -1 FROM generate_series(1, 40000) g"
            " UNION ALL SELECT 10 + g, 10 + g, 5 FROM generate_series(1, 200) g"
        )
        cursor.execute("CREATE INDEX vx_skewed_idx ON vx_skewed (facility_id, lot_id, quantity)")
        cursor.execute("ANALYZE vx_skewed")
        for cheap in ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size"):
            cursor.execute(f"SET LOCAL {cheap} = 0")
    sql = _unique_sql(
        "SELECT m.facility_id, m.lot_id, SUM(m.quantity) FROM vx_skewed m"
        " WHERE m.facility_id = ANY(%s::bigint[]) AND m.lot_id = ANY(%s::bigint[]) GROUP BY 1, 2"
    )
    for _ in range(2):
        assert fetch(sql, [[11], [11]]) == [(11, 11, 5)]
    found = prepared.plan(sql)
    assert found is not None

    def explain(name: str) -> str:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN EXECUTE {name}('{{11}}', '{{11}}')")
            return "\n".join(row[0] for row in cursor.fetchall())

    assert "Gather" not in explain(found.name)
    # What the setting prevents: the same statement's generic plan with workers allowed.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 2")
        cursor.execute(f"PREPARE vx_skewed_check AS {found.body}")
    assert "Gather" in explain("vx_skewed_check")
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE vx_skewed_check")
