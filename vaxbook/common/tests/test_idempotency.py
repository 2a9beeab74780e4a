"""idempotent_call: the same key and body replay the first answer; another body is a conflict."""

from typing import Any

import pytest
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
