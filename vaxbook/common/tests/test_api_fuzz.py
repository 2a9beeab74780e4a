"""Every operation of the API, fuzzed from its own description (schemathesis, in process): whatever a client
sends, the answer is never a server error, is one the operation describes (its status and its body's
schema), and input the description calls invalid is refused.

Deterministic (derandomized Hypothesis) and small, to keep the suite fast: a few examples per operation
and per phase. A longer run against a served demo: docs/api.md ("Fuzzing the API against its description").
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from vaxbook.clinic.tests.fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_connection(db: Any) -> Iterator[None]:
    """The app is called as a server calls it, and a server closes the database connection around each
    request: here it is the test's transaction (Django's test client turns this off the same way)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(api: Any, manager_a: Any, lot_a: Any, person: Any, give: Any) -> dict[str, str]:
    """A facility manager's token, at a facility with a lot in stock and a person with a dose: ids exist
    for the generated requests to stumble on (most are random, and answer 404 or 422)."""
    give(person)
    api.as_user(manager_a)
    return {"Authorization": api.defaults["HTTP_AUTHORIZATION"]}


def _schema() -> Any:
    # Read from the app itself (the description needs no database), Django's plain WSGI handler: not
    # config.wsgi, whose start-up work (a garbage-collector freeze) is for a server process, not for the
    # test run that collects this module. Signing out would leave the rest without a token; signing in
    # and one-time codes lock accounts and count attempts (their own tests cover them).
    return schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application()).exclude(
        path_regex="^/api/v1/auth/"
    )


schema = _schema()


@schema.parametrize()
@settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_described_never_a_server_error(case: Any, bearer: dict[str, str]) -> None:
    response = case.call(headers=bearer)
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance, negative_data_rejection],
    )
