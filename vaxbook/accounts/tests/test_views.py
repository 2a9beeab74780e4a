"""Pages: staff sign-in with the lockout, the citizen's phone sign-in, the home page per role, the admin."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from vaxbook.accounts import services
from vaxbook.accounts.models import ApiToken, Role, User
from vaxbook.accounts.tests.conftest import CITIZEN_PHONE, last_code
from vaxbook.common import testing as t

LOGIN = "/accounts/login/"
CITIZEN = "/accounts/citizen/"


def url_exists(name: str, *args: Any) -> bool:
    try:
        reverse(name, args=args)
    except NoReverseMatch:
        return False
    return True


# --------------------------------------------------------------------------------------------
# Staff sign-in
# --------------------------------------------------------------------------------------------


def test_the_login_page_renders(client: Client, db: Any) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_a_staff_user_signs_in(client: Client, clerk_a: User) -> None:
    response = client.post(LOGIN, {"username": "clerk_a", "password": t.PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_next_is_followed_only_on_this_site(client: Client, clerk_a: User) -> None:
    response = client.post(f"{LOGIN}?next=https://evil.example/", {"username": "clerk_a", "password": t.PASSWORD})
    assert response["Location"] == reverse("home")
    client.logout()
    response = client.post(f"{LOGIN}?next=/admin/", {"username": "clerk_a", "password": t.PASSWORD})
    assert response["Location"] == "/admin/"


def test_a_wrong_password_shows_the_form_error(client: Client, clerk_a: User) -> None:
    response = client.post(LOGIN, {"username": "clerk_a", "password": "nope"})
    assert response.status_code == 200
    assert b'data-code="invalid_login"' in response.content
    assert b'data-code="account_locked"' not in response.content


def test_the_fifth_failure_says_the_account_is_locked(client: Client, clerk_a: User) -> None:
    for _ in range(4):
        client.post(LOGIN, {"username": "clerk_a", "password": "nope"})
    response = client.post(LOGIN, {"username": "clerk_a", "password": "nope"})
    assert b'data-code="account_locked"' in response.content
    assert b'data-code="invalid_login"' not in response.content
    response = client.post(LOGIN, {"username": "clerk_a", "password": t.PASSWORD})
    assert response.status_code == 200
    assert b'data-code="account_locked"' in response.content
    assert "_auth_user_id" not in client.session


# --------------------------------------------------------------------------------------------
# Citizen sign-in
# --------------------------------------------------------------------------------------------


def test_a_citizen_signs_in_with_phone_and_code(client: Client, citizen: User) -> None:
    assert client.get(CITIZEN).status_code == 200
    response = client.post(CITIZEN, {"step": "phone", "phone": "0987 654 321"})
    assert response.status_code == 200
    assert b'name="code"' in response.content
    response = client.post(CITIZEN, {"step": "code", "code": last_code(CITIZEN_PHONE)})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert int(client.session["_auth_user_id"]) == citizen.pk


def test_the_citizen_page_shows_error_codes(client: Client, db: Any) -> None:
    response = client.post(CITIZEN, {"step": "phone", "phone": "12"})
    assert b'data-code="phone_invalid"' in response.content
    client.post(CITIZEN, {"step": "phone", "phone": CITIZEN_PHONE})
    wrong = f"{(int(last_code(CITIZEN_PHONE)) + 1) % 10**6:06d}"
    response = client.post(CITIZEN, {"step": "code", "code": wrong})
    assert b'data-code="otp_invalid"' in response.content
    assert "_auth_user_id" not in client.session


def test_the_citizen_page_shows_the_rate_limit(client: Client, db: Any) -> None:
    for _ in range(3):
        services.otp_request(phone=CITIZEN_PHONE)
    response = client.post(CITIZEN, {"step": "phone", "phone": CITIZEN_PHONE})
    assert b'data-code="otp_rate_limited"' in response.content


def test_another_number_can_be_used(client: Client, db: Any) -> None:
    client.post(CITIZEN, {"step": "phone", "phone": CITIZEN_PHONE})
    response = client.get(CITIZEN + "?restart=1")
    assert b'name="phone"' in response.content


# --------------------------------------------------------------------------------------------
# Home page per role
# --------------------------------------------------------------------------------------------


def tiles(client: Client, user: User) -> set[str]:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    return {
        name
        for name in ("registry", "register", "checkin", "facilities", "reports", "roster", "admin")
        if f'data-tile="{name}"' in html
    }


def expected(*pairs: tuple[str, str]) -> set[str]:
    """The tiles among `pairs` (tile, url name) whose page exists yet."""
    return {tile for tile, name in pairs if url_exists(name)}


def test_the_home_page_needs_a_sign_in(client: Client, db: Any) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_a_national_admin_sees_the_oversight_tiles(client: Client, db: Any) -> None:
    admin = services.user_create_staff(actor=None, username="boss", password="pw-123456789", role=Role.NATIONAL_ADMIN)
    assert tiles(client, admin) == {"admin"} | expected(
        ("registry", "registry:search"),
        ("register", "registry:create"),
        ("facilities", "places:facility_list"),
        ("reports", "reports:dashboard"),
    )


def test_a_province_officer_sees_registry_facilities_and_reports(client: Client, officer: User) -> None:
    assert tiles(client, officer) == expected(
        ("registry", "registry:search"), ("facilities", "places:facility_list"), ("reports", "reports:dashboard")
    )


def test_a_data_clerk_may_register_a_person(client: Client, clerk_a: User) -> None:
    assert tiles(client, clerk_a) == expected(
        ("registry", "registry:search"), ("register", "registry:create"), ("checkin", "clinic:checkin")
    )


def test_a_vaccinator_gets_the_check_in_desk_but_not_registration(client: Client, vaccinator_a: User) -> None:
    assert tiles(client, vaccinator_a) == expected(("registry", "registry:search"), ("checkin", "clinic:checkin"))


def test_an_organization_representative_gets_the_registry_and_the_roster(client: Client, rep: User, org: Any) -> None:
    want = expected(("registry", "registry:search"))
    if url_exists("organizations:roster", org.public_id):
        want.add("roster")
    assert tiles(client, rep) == want


def test_a_citizen_sees_their_household(client: Client, citizen: User, ward1: Any) -> None:
    from vaxbook.registry.services import household_add_member, household_create

    household = household_create(actor=None, head=citizen.person)
    child = t.PersonFactory(full_name="Trần Thị Con", ward=ward1, id_type="none", id_number="")
    household_add_member(actor=None, household=household, person=child, relation="child")
    stranger = t.PersonFactory(full_name="Người Lạ", ward=ward1)
    client.force_login(citizen)
    html = client.get("/").content.decode()
    assert 'data-section="household"' in html
    assert f'data-person="{citizen.person.public_id}"' in html
    assert f'data-person="{child.public_id}"' in html
    assert f'data-person="{stranger.public_id}"' not in html
    assert tiles(client, citizen) == set()


def test_a_citizen_without_a_record_is_told_so(client: Client, db: Any) -> None:
    user = User.objects.create(username=CITIZEN_PHONE, phone=CITIZEN_PHONE)
    client.force_login(user)
    assert b'data-code="person_not_linked"' in client.get("/").content


# --------------------------------------------------------------------------------------------
# Admin
# --------------------------------------------------------------------------------------------


@pytest.fixture
def superuser(db: Any) -> User:
    return services.user_create_staff(actor=None, username="root", password="pw-123456789", role=Role.NATIONAL_ADMIN)


@pytest.mark.parametrize("model", ["user", "membership", "apitoken", "onetimecode"])
def test_the_admin_lists_accounts(client: Client, superuser: User, clerk_a: User, model: str) -> None:
    services.token_issue(request=None, username="clerk_a", password=t.PASSWORD)
    services.otp_request(phone=CITIZEN_PHONE)
    client.force_login(superuser)
    assert client.get(f"/admin/accounts/{model}/").status_code == 200


def test_the_admin_shows_a_user_with_memberships(client: Client, superuser: User, clerk_a: User) -> None:
    client.force_login(superuser)
    response = client.get(f"/admin/accounts/user/{clerk_a.pk}/change/")
    assert response.status_code == 200
    assert b"memberships-TOTAL_FORMS" in response.content


def test_the_admin_shows_a_token_read_only_and_revokes_it(client: Client, superuser: User, clerk_a: User) -> None:
    raw, _ = services.token_issue(request=None, username="clerk_a", password=t.PASSWORD)
    token = ApiToken.objects.get(user=clerk_a)
    client.force_login(superuser)
    page = client.get(f"/admin/accounts/apitoken/{token.pk}/change/")
    assert page.status_code == 200
    assert raw.encode() not in page.content
    assert b'name="key_hash"' not in page.content
    response = client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert response.status_code == 200
    assert services.token_authenticate(raw=raw) is None


def test_the_recorded_sms_is_shown_only_in_development(client: Client, settings: Any, db: Any) -> None:
    response = client.post(CITIZEN, {"step": "phone", "phone": CITIZEN_PHONE})
    assert b"data-demo-sms" not in response.content
    settings.DEBUG = True
    response = client.get(CITIZEN)
    assert b"data-demo-sms" in response.content
    assert last_code(CITIZEN_PHONE).encode() in response.content


# --------------------------------------------------------------------------------------------
# What the pages say (UI audit): field errors, names, one tile per page, one name per page
# --------------------------------------------------------------------------------------------


def _under(html: str, field: str) -> str:
    """The errors shown under a sign-in field."""
    match = re.search(rf'<div id="id_{field}_error" role="alert">(.*?)</div>', html, re.S)
    assert match, f"no errors under {field}"
    return match.group(1)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_empty_sign_in_says_what_is_missing_under_each_field(client: Client, db: Any, language: str) -> None:
    from django.utils import translation

    if language != "vi":
        client.post("/i18n/setlang/", {"language": language})
    html = client.post(LOGIN, {"username": "", "password": ""}).content.decode()
    assert f'<html lang="{language}">' in html
    messages = {"username": "Enter your username.", "password": "Enter your password."}
    with translation.override(language):
        for field, message in messages.items():
            under = _under(html, field)
            assert 'data-code="required"' in under
            assert translation.gettext(message) in under
            assert f'aria-describedby="id_{field}_error"' in html
    if language == "en":
        assert "Enter your username." in html and "Enter your password." in html
    # Half-filled: only the empty one is named, and the typed username is kept.
    half = client.post(LOGIN, {"username": "clerk_a", "password": ""}).content.decode()
    assert 'id="id_password_error"' in half and 'id="id_username_error"' not in half
    assert 'value="clerk_a"' in half


def test_staff_are_greeted_family_name_first(client: Client, clerk_a: User) -> None:
    clerk_a.first_name, clerk_a.last_name = "Lan", "Nguyễn Thị"
    clerk_a.save()
    client.force_login(clerk_a)
    html = client.get("/").content.decode()
    assert "Xin chào, Nguyễn Thị Lan" in html and "Lan Nguyễn Thị" not in html
    assert '<span class="who">Nguyễn Thị Lan</span>' in html


def test_a_citizen_is_greeted_by_name_and_relations_read_as_on_the_household_page(
    client: Client, citizen: User, ward1: Any
) -> None:
    from vaxbook.registry.services import household_add_member, household_create

    household = household_create(actor=None, head=citizen.person)
    wife = t.PersonFactory(full_name="Lê Thị Vợ", ward=ward1)
    household_add_member(actor=None, household=household, person=wife, relation="spouse")
    client.force_login(citizen)
    html = client.get("/").content.decode()
    assert "Xin chào, Trần Văn Bình" in html and f"Xin chào, {CITIZEN_PHONE}" not in html
    assert "<td>Chủ hộ</td>" in html and "<td>Vợ, chồng</td>" in html
    assert "<td>chủ hộ</td>" not in html
    assert '<span class="status status-complete">Đầy đủ</span>' in html


def _tile_hrefs(html: str) -> list[str]:
    tiles = html[html.index('<div class="tiles">') :]
    tiles = tiles[: tiles.index("</div>")]
    return re.findall(r'<a [^>]*href="([^"]+)"', tiles)


def test_each_home_has_one_tile_per_page(client: Client, clerk_a: User, officer: User, rep: User, org: Any) -> None:
    for user in (clerk_a, officer, rep):
        client.force_login(user)
        hrefs = _tile_hrefs(client.get("/").content.decode())
        assert len(hrefs) == len(set(hrefs)), (user.username, hrefs)
        assert hrefs.count("/registry/") == 1, (user.username, hrefs)
    client.force_login(rep)
    hrefs = _tile_hrefs(client.get("/").content.decode())
    roster = reverse("organizations:roster", args=[org.public_id])
    # The organizations list sends a representative of one organization to its roster: one of the two.
    assert [h for h in hrefs if h in (roster, reverse("organizations:list"))] == [roster]
    client.force_login(officer)
    assert reverse("organizations:list") in _tile_hrefs(client.get("/").content.decode())


def test_a_representative_s_roster_tile_says_what_the_page_is_for(client: Client, rep: User, org: Any) -> None:
    client.force_login(rep)
    html = client.get("/").content.decode()
    tile = re.search(r'<a [^>]*data-tile="roster"[^>]*>(.*?)</a>', html, re.S)
    assert tile is not None
    assert "Đăng ký cán bộ, nhân viên từ tệp bảng tính; theo dõi hồ sơ và mũi tiêm" in tile.group(1)


def test_the_menu_names_the_serious_adverse_events_page_as_its_heading_does(client: Client, officer: User) -> None:
    client.force_login(officer)
    url = reverse("clinic:adverse_events")
    home = client.get("/").content.decode()
    nav = home[home.index('<nav class="main-nav"') : home.index("</nav>")]
    assert f'<a href="{url}">Tai biến nặng sau tiêm</a>' in nav
    page = client.get(url).content.decode()
    assert "<h1>Tai biến nặng sau tiêm</h1>" in page


def test_the_menu_offers_the_registry_for_an_active_membership_only(client: Client, clerk_a: User) -> None:
    """The home page counts active memberships only; the menu had offered the registry for any."""
    client.force_login(clerk_a)
    url = reverse("registry:search")

    def nav() -> str:
        home = client.get("/").content.decode()
        return home[home.index('<nav class="main-nav"') : home.index("</nav>")]

    assert nav().count(f'href="{url}"') == 1
    clerk_a.memberships.update(active=False)
    assert f'href="{url}"' not in nav()
