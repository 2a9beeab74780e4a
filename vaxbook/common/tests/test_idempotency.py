"""idempotent_call: the same key and body replay the first answer; another body is a conflict."""

import hashlib
import json
from typing import Any

import pytest
from django.db import connection
from django.utils.translation import gettext_lazy as _

from vaxbook.common.errors import Conflict, DomainError
from vaxbook.common.idempotency import idempotent_call
from vaxbook.common.models import AuditEvent, IdempotencyRecord


class Counter:
    def __init__(self, *, refuse: bool = False) -> None:
        self.calls = 0
        self.refuse = refuse

    def __call__(self) -> tuple[int, Any]:
        self.calls += 1
        AuditEvent.objects.create(action="test.write", subject_type="test", subject_id=str(self.calls))
        if self.refuse:
            raise DomainError.single("dose", "dose_refused", _("Refused."))
        return 201, {"n": self.calls}


def test_the_same_key_and_body_replay_the_first_answer(clerk_a: Any) -> None:
    run = Counter()
    first = idempotent_call(user=clerk_a, scope="test", key="k1", body={"a": 1}, run=run)
    again = idempotent_call(user=clerk_a, scope="test", key="k1", body={"a": 1}, run=run)
    assert first == again == (201, {"n": 1})
    assert run.calls == 1
    assert AuditEvent.objects.filter(action="test.write").count() == 1


def test_the_same_key_with_another_body_is_a_conflict(clerk_a: Any) -> None:
    run = Counter()
    idempotent_call(user=clerk_a, scope="test", key="k1", body={"a": 1}, run=run)
    with pytest.raises(Conflict) as exc:
        idempotent_call(user=clerk_a, scope="test", key="k1", body={"a": 2}, run=run)
    assert exc.value.codes == ["idempotency_key_reused"]
    assert exc.value.status == 409
    assert run.calls == 1


def test_a_refusal_is_remembered_and_its_write_rolled_back(clerk_a: Any) -> None:
    run = Counter(refuse=True)
    status, payload = idempotent_call(user=clerk_a, scope="test", key="k1", body={}, run=run)
    assert status == 422
    assert [e["code"] for e in payload["errors"]] == ["dose_refused"]
    assert idempotent_call(user=clerk_a, scope="test", key="k1", body={}, run=run) == (status, payload)
    assert run.calls == 1
    assert not AuditEvent.objects.filter(action="test.write").exists()
    assert IdempotencyRecord.objects.get(key="k1").status_code == 422


def test_keys_belong_to_a_user_and_a_scope(clerk_a: Any, clerk_b: Any) -> None:
    run = Counter()
    idempotent_call(user=clerk_a, scope="test", key="k1", body={}, run=run)
    idempotent_call(user=clerk_b, scope="test", key="k1", body={}, run=run)
    idempotent_call(user=clerk_a, scope="other", key="k1", body={}, run=run)
    assert run.calls == 3


def test_without_a_key_every_call_runs(clerk_a: Any) -> None:
    run = Counter()
    idempotent_call(user=clerk_a, scope="test", key=None, body={}, run=run)
    idempotent_call(user=clerk_a, scope="test", key="", body={}, run=run)
    assert run.calls == 2
    assert not IdempotencyRecord.objects.exists()


def test_a_too_long_key_is_refused(clerk_a: Any) -> None:
    with pytest.raises(DomainError) as exc:
        idempotent_call(user=clerk_a, scope="test", key="k" * 201, body={}, run=Counter())
    assert exc.value.codes == ["idempotency_key_too_long"]


def test_prefetched_reads_reach_run_and_a_replay_does_not_run(clerk_a: Any) -> None:
    from vaxbook.common.idempotency import idempotent_call_prefetching
    from vaxbook.common.rows import ModelRows, Read

    users = ModelRows(type(clerk_a), "u", fields=["id", "username"])
    prefetch = [Read(users.select(connection, "u.id = %s"), [clerk_a.pk], lambda rows: users.load(rows[0]).username)]
    seen: list[list[Any]] = []

    def run(found: list[Any]) -> tuple[int, Any]:
        seen.append(found)
        return 201, {"username": found[0]}

    first = idempotent_call_prefetching(user=clerk_a, scope="test", key="p1", body={}, prefetch=prefetch, run=run)
    again = idempotent_call_prefetching(user=clerk_a, scope="test", key="p1", body={}, prefetch=prefetch, run=run)
    assert first == again == (201, {"username": clerk_a.username})
    assert seen == [[clerk_a.username]]
    unkeyed = idempotent_call_prefetching(user=clerk_a, scope="test", key=None, body={}, prefetch=prefetch, run=run)
    assert unkeyed == first and len(seen) == 2


@pytest.mark.django_db(transaction=True)
def test_a_call_of_its_own_commits_its_write_and_record_together(clerk_a: Any) -> None:
    """Outside any caller's transaction the record's INSERT carries the COMMIT (PostgreSQL): both are
    committed, the connection is out of its transaction, and the next call works as usual."""
    run = Counter()
    assert idempotent_call(user=clerk_a, scope="test", key="c1", body={}, run=run) == (201, {"n": 1})
    assert not connection.in_atomic_block
    if connection.vendor == "postgresql":
        from psycopg.pq import TransactionStatus

        assert connection.connection.info.transaction_status == TransactionStatus.IDLE
    assert _committed_count("SELECT count(*) FROM common_idempotencyrecord WHERE key = 'c1'") == 1
    assert _committed_count("SELECT count(*) FROM common_auditevent WHERE action = 'test.write'") == 1
    assert idempotent_call(user=clerk_a, scope="test", key="c2", body={}, run=run) == (201, {"n": 2})
    assert idempotent_call(user=clerk_a, scope="test", key="c1", body={}, run=run) == (201, {"n": 1})


@pytest.mark.django_db(transaction=True)
def test_a_record_committed_meanwhile_wins_and_the_write_rolls_back(clerk_a: Any) -> None:
    """Another request with the key commits while this one runs: the INSERT that carries the COMMIT
    fails on the unique key, nothing of this call stays, and the other's answer is replayed."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a second writer while the first holds its transaction (PostgreSQL)")
    import psycopg

    def run() -> tuple[int, Any]:
        AuditEvent.objects.create(action="test.write", subject_type="test", subject_id="mine")
        settings = connection.settings_dict
        with psycopg.connect(
            dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"] or 5432
        ) as other:
            body = hashlib.sha256(json.dumps({}, sort_keys=True).encode()).hexdigest()
            other.execute(
                "INSERT INTO common_idempotencyrecord (key, user_id, scope, body_hash, status_code, response,"
                " created_at) VALUES ('r1', %s, 'test', %s, 201, '{\"n\": \"theirs\"}', now())",
                [clerk_a.pk, body],
            )
        return 201, {"n": "mine"}

    assert idempotent_call(user=clerk_a, scope="test", key="r1", body={}, run=run) == (201, {"n": "theirs"})
    assert not AuditEvent.objects.filter(action="test.write").exists()
    assert IdempotencyRecord.objects.filter(key="r1").count() == 1


def _committed_count(sql: str) -> int:
    """A count read on a connection of its own: what is committed."""
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(sql)
            return int(cursor.fetchone()[0])
    finally:
        other.close()
