"""Fixtures shared by every app's tests: the scoping cast, an API client, and a browser.

The cast: province P with wards W1 and W2; facility A in W1, facility B in W2; `clerk_a` (data clerk
of A), `vaccinator_a`, `clerk_b` (data clerk of B), `officer` (province officer of P), `admin`
(national), `org` and its representative `rep`, and a `citizen` signed in as themselves.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from vaxbook.common import testing as t


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the site's default language, Vietnamese, as a request without a choice gets
    it. A management command (which turns translation off) or a `translation.override` entered while none
    was active leaves the thread without any, and a later test would read English where a clerk reads
    Vietnamese: whether a test passed depended on the tests run before it."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def province(db: Any) -> Any:
    return t.ProvinceFactory()


@pytest.fixture
def ward1(province: Any) -> Any:
    return t.WardFactory(code="26001", name="Phường Trấn Biên", parent=province)


@pytest.fixture
def ward2(province: Any) -> Any:
    return t.WardFactory(code="26002", name="Phường Tam Hiệp", parent=province)


@pytest.fixture
def before_2025(province: Any, ward1: Any, ward2: Any) -> dict[str, Any]:
    """Units before the 2025 reform, linked as `load_places` links them: Bình Phước (70), merged into
    province P; a ward merged whole into W1 (25195), one split between W1 and W2 (25198), and one the
    reform's tables give nothing (25201)."""
    from vaxbook.places.models import AdminUnit

    level = AdminUnit.Level
    old_province = t.ProvinceFactory(level=level.LEGACY_PROVINCE, code="70", name="Tỉnh Bình Phước")
    old_province.successors.add(province)
    district = t.WardFactory(level=level.LEGACY_DISTRICT, code="689", name="Thành phố Đồng Xoài", parent=old_province)
    units = {}
    for code, name, successors in (
        ("25195", "Phường Tân Phú", [ward1]),
        ("25198", "Xã Tiến Hưng", [ward2, ward1]),
        ("25201", "Xã Tân Thành", []),
    ):
        units[code] = t.WardFactory(level=level.LEGACY_WARD, code=code, name=name, parent=district)
        units[code].successors.add(*successors)
    return units


@pytest.fixture
def facility_a(ward1: Any) -> Any:
    return t.FacilityFactory(code="FA", name="Bệnh viện A", admin_unit=ward1)


@pytest.fixture
def facility_b(ward2: Any) -> Any:
    return t.FacilityFactory(code="FB", name="Trạm Y tế B", admin_unit=ward2)


@pytest.fixture
def clerk_a(facility_a: Any) -> Any:
    return t.make_member(t.Role.DATA_CLERK, facility=facility_a, username="clerk_a")


@pytest.fixture
def vaccinator_a(facility_a: Any) -> Any:
    return t.make_member(t.Role.VACCINATOR, facility=facility_a, username="vaccinator_a")


@pytest.fixture
def clerk_b(facility_b: Any) -> Any:
    return t.make_member(t.Role.DATA_CLERK, facility=facility_b, username="clerk_b")


@pytest.fixture
def officer(province: Any) -> Any:
    return t.make_member(t.Role.PROVINCE_OFFICER, admin_unit=province, username="officer")


@pytest.fixture
def admin_user(db: Any) -> Any:
    return t.make_member(t.Role.NATIONAL_ADMIN, username="admin")


@pytest.fixture
def org(province: Any) -> Any:
    return t.OrganizationFactory(name="Công ty Thử Nghiệm", admin_unit=province)


@pytest.fixture
def rep(org: Any) -> Any:
    return t.make_member(t.Role.ORG_REPRESENTATIVE, organization=org, username="rep")


@pytest.fixture
def priority_group(db: Any) -> Any:
    return t.PriorityGroupFactory()


@pytest.fixture
def api() -> Any:
    """A client for the JSON API: `api.as_user(user)` signs in with a bearer token."""

    class ApiClient(Client):
        def as_user(self, user: Any) -> "ApiClient":
            from datetime import timedelta

            from django.utils import timezone

            from vaxbook.accounts.models import ApiToken
            from vaxbook.accounts.services import TOKEN_PREFIX, _hash

            raw = f"{TOKEN_PREFIX}test-{user.pk}-{user.username}"
            ApiToken.objects.get_or_create(
                key_hash=_hash(raw),
                defaults={"user": user, "prefix": raw[4:12], "expires_at": timezone.now() + timedelta(days=1)},
            )
            self.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
            return self

        def post_json(self, path: str, data: Any, **extra: Any) -> Any:
            return self.post(path, data=data, content_type="application/json", **extra)

        def patch_json(self, path: str, data: Any, **extra: Any) -> Any:
            return self.patch(path, data=data, content_type="application/json", **extra)

    return ApiClient()


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; the test is skipped, saying why, where there is none."""
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium found (apt-get install -y chromium); browser tests need it")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(locale="vi-VN", base_url=live_server.url)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


@pytest.fixture
def accessibility() -> Callable[[Any], list[str]]:
    """axe-core's checks (WCAG 2 A and AA, and its best practices) of a browser page as it stands: one line
    per rule the page breaks, naming the first element that breaks it; an empty list for a page that passes."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    # One experimental rule on top (WCAG 2.5.3, label in name): a link's or button's name holds the words it
    # shows, so that a voice-control user who says them finds it (a row's "Đưa ra" was named "Đưa X ra …").
    options = {"rules": {"label-content-name-mismatch": {"enabled": True}}}

    def check(page: Any) -> list[str]:
        violations = axe.run(page, options=options).response["violations"]
        return [f"{v['impact']} {v['id']}: {v['help']} at {v['nodes'][0]['target']}" for v in violations]

    return check
