"""Every operation of the API, fuzzed from its own description (schemathesis, in process): whatever a client
sends, the answer is never a server error, is one the operation describes (its status and its body's
schema), and input the description calls invalid is refused. Once with the ids as generated (random: most
answer 404 or 422), once with every id and code the request names replaced by one of a real record (a
person with a dose, the facility, its lot and session, a household, an organization), so that the rest of
the random request reaches the rules behind the look-up.

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

from vaxbook.clinic.tests import factories as f
from vaxbook.clinic.tests.fixtures import *  # noqa: F403
from vaxbook.clinic.tests.fixtures import COMIRNATY
from vaxbook.registry.services import household_create

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
few_examples = settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@few_examples
def test_every_operation_answers_as_described_never_a_server_error(case: Any, bearer: dict[str, str]) -> None:
    response = case.call(headers=bearer)
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance, negative_data_rejection],
    )


@pytest.fixture
def real_ids(
    bearer: dict[str, str],
    manager_a: Any,
    vaccinator_a: Any,
    facility_a: Any,
    facility_b: Any,
    lot_a: Any,
    person: Any,
    give: Any,
    screen: Any,
    org: Any,
) -> dict[str, str]:
    """The public ids (and codes) of real records, by the name the API gives them in paths, queries and bodies."""
    other, lone = (
        f.PersonFactory(ward=person.ward, province=person.province, priority_group=person.priority_group)
        for _ in range(2)
    )
    dose = give(other)
    session = f.SessionFactory(facility=facility_a, vaccine=lot_a.vaccine)
    household = household_create(actor=manager_a, head=person)
    return {
        "person_id": str(person.public_id),
        "household_id": str(household.public_id),
        "dose_id": str(dose.public_id),
        "facility_id": str(facility_a.public_id),
        "to_facility_id": str(facility_b.public_id),
        "head_id": str(lone.public_id),
        "vaccinator_id": str(vaccinator_a.public_id),
        "session_id": str(session.public_id),
        "screening_id": str(screen(person).public_id),
        "organization_id": str(org.public_id),
        "vaccine_code": COMIRNATY,
        "lot_number": lot_a.number,
    }


def _with_real_ids(value: Any, ids: dict[str, str]) -> Any:
    """`value` (a body, a query, path parameters) with each key that names a record given a real one's id."""
    if isinstance(value, dict):
        return {k: ids[k] if k in ids else _with_real_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_real_ids(v, ids) for v in value]
    return value


def _call_with_real_ids(case: Any, ids: dict[str, str], headers: dict[str, str]) -> None:
    for part in ("path_parameters", "query", "body"):
        value = getattr(case, part)
        if value:
            setattr(case, part, _with_real_ids(value, ids))
    response = case.call(headers=headers)
    # Input made valid by a real id is no longer "invalid input": the negative-data check does not apply.
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance, response_schema_conformance])


@schema.parametrize()
@few_examples
def test_every_operation_on_real_records_answers_as_described_never_a_server_error(
    case: Any, bearer: dict[str, str], real_ids: dict[str, str]
) -> None:
    _call_with_real_ids(case, real_ids, bearer)


@pytest.fixture
def rep_real_ids(api: Any, rep: Any, org: Any, person: Any, settings: Any, tmp_path: Any) -> dict[str, str]:
    """An organization's representative, its organization with a person on the roster and a finished import."""
    from vaxbook.organizations.models import RosterEntry, RosterImport

    settings.MEDIA_ROOT = str(tmp_path)  # an upload that passes its checks is stored
    RosterEntry.objects.create(organization=org, person=person)
    imported = RosterImport.objects.create(
        organization=org, uploaded_by=rep, original_name="a.xlsx", file_format="xlsx", status="done", progress=100
    )
    api.as_user(rep)
    return {
        "Authorization": api.defaults["HTTP_AUTHORIZATION"],
        "organization_id": str(org.public_id),
        "import_id": str(imported.public_id),
        "person_id": str(person.public_id),
    }


@schema.include(path_regex="organizations|roster").parametrize()
@few_examples
def test_every_organization_operation_on_its_own_records_answers_as_described(
    case: Any, rep_real_ids: dict[str, str]
) -> None:
    ids = dict(rep_real_ids)
    _call_with_real_ids(case, ids, {"Authorization": ids.pop("Authorization")})
