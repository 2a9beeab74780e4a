"""The demo data behind `make demo`: Đồng Nai, its vaccination units, two organizations, six staff
logins and about 2,000 persons in about 700 households.

`demo_load` is idempotent (a second run sees the `admin` user and the demo persons, and only prints
the logins) and deterministic (every name, date, number and address comes from `random.Random(seed)`
and `today`). Persons go through `persons_register_bulk`, the same rules as every other door; only the
households are written in bulk here, as a loader may. At the end it calls
`vaxbook.clinic.demo.clinic_demo_load(stdout=...)` when that module exists, on every run: that
function must be idempotent too.
"""

import importlib
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Protocol

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vaxbook.accounts.models import Role, User
from vaxbook.accounts.services import user_create_staff
from vaxbook.common.audit import audit_event_objects, audit_log
from vaxbook.common.models import AuditEvent
from vaxbook.organizations.models import Organization
from vaxbook.places.models import AdminUnit, Facility
from vaxbook.registry.identity import PersonInput, national_phone
from vaxbook.registry.models import Household, Person
from vaxbook.registry.services import persons_register_bulk, priority_groups_load

DEMO_PASSWORD = "vaxbook-demo"
PROVINCE_CODE = "75"  # Đồng Nai (2025 code)
CLINIC_DEMO_MODULE = "vaxbook.clinic.demo"
ROSTER_DEMO_MODULE = "vaxbook.organizations.demo"


class Writer(Protocol):
    """Where the demo reports (a file, or a management command's stdout)."""

    def write(self, msg: str, /) -> Any: ...


class DemoError(Exception):
    """The demo cannot be loaded (for example: the places are missing)."""


# --------------------------------------------------------------------------------------------
# Vocabulary (weights roughly follow the frequency of Vietnamese names; Đồng Nai is in the south,
# where Huỳnh and Võ are more common than Hoàng and Vũ)
# --------------------------------------------------------------------------------------------

FAMILY_NAMES: list[tuple[str, float]] = [
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9.5),
    ("Phạm", 7),
    ("Huỳnh", 3.2),
    ("Hoàng", 1.9),
    ("Phan", 4.5),
    ("Võ", 3.4),
    ("Vũ", 1.5),
    ("Đặng", 2.1),
    ("Bùi", 2),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1),
    ("Lý", 0.5),
]
MIDDLE_NAMES: dict[str, list[tuple[str, float]]] = {
    "M": [
        ("Văn", 40),
        ("Minh", 10),
        ("Hữu", 8),
        ("Đức", 8),
        ("Quốc", 7),
        ("Thanh", 7),
        ("Công", 5),
        ("Hoàng", 5),
        ("Tấn", 5),
        ("Trọng", 4),
        ("Ngọc", 3),
        ("Xuân", 3),
    ],
    "F": [
        ("Thị", 50),
        ("Ngọc", 10),
        ("Thanh", 8),
        ("Thu", 6),
        ("Kim", 6),
        ("Mỹ", 5),
        ("Bích", 4),
        ("Hồng", 4),
        ("Minh", 4),
        ("Phương", 3),
    ],
}
GIVEN_NAMES: dict[str, list[str]] = {
    "M": (  # noqa: SIM905 (a table reads better as one string)
        "An Bảo Bình Cường Dũng Duy Đạt Hải Hiếu Hòa Hùng Huy Khang Khoa Kiên Long Lộc Lợi Minh Nam Nghĩa Nhân "
        "Phong Phúc Phước Quang Sang Sơn Tài Tâm Thắng Thành Thịnh Tiến Toàn Trí Trung Tuấn Tùng Việt Vinh Vũ"
    ).split(),
    "F": (  # noqa: SIM905
        "Anh Châu Chi Diệp Dung Duyên Giang Hà Hạnh Hằng Hiền Hoa Hồng Hương Huyền Lan Liên Linh Loan Mai My "
        "Ngân Nga Ngọc Nhung Oanh Phương Quyên Tâm Thảo Thu Thủy Trang Trinh Tuyết Uyên Vân Vy Xuân Yến"
    ).split(),
}
STREETS = [
    "Phạm Văn Thuận",
    "Đồng Khởi",
    "Nguyễn Ái Quốc",
    "Võ Thị Sáu",
    "Cách Mạng Tháng Tám",
    "Hà Huy Giáp",
    "Nguyễn Văn Trị",
    "Phan Trung",
    "Bùi Văn Hòa",
    "Huỳnh Văn Nghệ",
    "30 Tháng 4",
    "Trần Phú",
    "Hùng Vương",
    "Nguyễn Thị Minh Khai",
    "Lê Duẩn",
    "Khổng Tử",
    "Hoàng Diệu",
    "Nguyễn Trãi",
]
# (occupation, priority group code, weight) for working-age adults
OCCUPATIONS: list[tuple[str, str, float]] = [
    ("Công nhân", "9", 30),
    ("Buôn bán", "11", 14),
    ("Lao động tự do", "11", 10),
    ("Nông dân", "11", 8),
    ("Nội trợ", "12", 10),
    ("Nhân viên văn phòng", "12", 10),
    ("Giáo viên", "4", 6),
    ("Công chức", "4", 4),
    ("Tài xế", "3", 4),
    ("Nhân viên y tế", "1", 3),
]
ETHNICITIES: list[tuple[str, float]] = [("Kinh", 95), ("Hoa", 3), ("Chơ Ro", 1), ("Tày", 0.5), ("Nùng", 0.5)]
# Birth-registration provinces of people living in Đồng Nai: mostly Đồng Nai (075), some from elsewhere.
OTHER_ID_PROVINCES = ["079", "070", "077", "074", "038", "040", "036", "034", "052", "051", "042", "080"]
# Mobile prefixes after 0 (mostly 09x, the oldest networks), all of them valid for `normalize_phone`.
MOBILE_PREFIXES = ["90", "91", "93", "94", "96", "97", "98", "90", "91", "97", "32", "33", "35", "37", "38", "70"]
MOBILE_PREFIXES += ["77", "79", "81", "83", "84", "85", "86", "88"]

FACILITIES: list[dict[str, Any]] = [
    {
        "key": "hospital",
        "code": "75-BVDK",
        "name": "Bệnh viện Đa khoa Đồng Nai",
        "kind": Facility.Kind.HOSPITAL,
        "area": "bien_hoa",
        "at": "tran bien",
        "catchment": 2,
        "address_line": "2 đường Đồng Khởi",
    },
    {
        "key": "bien_hoa",
        "code": "75-TTYT-BH",
        "name": "Trung tâm Y tế khu vực Biên Hòa",
        "kind": Facility.Kind.HEALTH_CENTRE,
        "area": "bien_hoa",
        "at": "bien hoa",
        "catchment": 6,
        "address_line": "1 đường Phạm Văn Thuận",
    },
    {
        "key": "long_khanh",
        "code": "75-TTYT-LK",
        "name": "Trung tâm Y tế khu vực Long Khánh",
        "kind": Facility.Kind.HEALTH_CENTRE,
        "area": "long_khanh",
        "at": "long khanh",
        "catchment": 5,
        "address_line": "911 đường Hùng Vương",
    },
    {
        "key": "station",
        "code": "75-TYT-TAMHIEP",
        "name": "Trạm Y tế phường Tam Hiệp",
        "kind": Facility.Kind.COMMUNE_STATION,
        "area": "bien_hoa",
        "at": "tam hiep",
        "catchment": 1,
        "address_line": "15 đường Phạm Văn Thuận, khu phố 3",
    },
]
# Wards by area, searched by the end of their search name (2025 names of Đồng Nai).
AREAS: dict[str, list[str]] = {
    "bien_hoa": ["tran bien", "tam hiep", "bien hoa", "long binh", "ho nai", "trang dai"],
    "long_khanh": ["long khanh", "binh loc", "bao vinh", "xuan lap", "hang gon"],
}
ORGANIZATIONS = [
    {"tax_code": "3600245698", "name": "Công ty TNHH Changshin Việt Nam", "address_line": "Khu công nghiệp Thạnh Phú"},
    {"tax_code": "3600281921", "name": "Sở Giáo dục và Đào tạo Đồng Nai", "address_line": "2 đường Nguyễn Văn Trị"},
]
# username, role, scope key (facility key, "province" or "org"), last name, first name
USERS: list[tuple[str, str, str | None, str, str]] = [
    ("admin", Role.NATIONAL_ADMIN, None, "Quản trị", "Hệ thống"),
    ("province", Role.PROVINCE_OFFICER, "province", "Trần Văn", "Hùng"),
    ("clerk", Role.DATA_CLERK, "hospital", "Nguyễn Thị", "Lan"),
    ("vaccinator", Role.VACCINATOR, "hospital", "Lê Thị", "Hồng"),
    ("clerk2", Role.DATA_CLERK, "station", "Phạm Minh", "Tuấn"),
    ("org", Role.ORG_REPRESENTATIVE, "org", "Võ Thanh", "Tâm"),
]
ROSTER_SIZE = 40
DEPARTMENTS = ["Xưởng may 1", "Xưởng may 2", "Xưởng đế", "Kho vận", "Bảo trì", "Văn phòng"]


# --------------------------------------------------------------------------------------------
# The people, as pure data (no database): deterministic for a seed and a day
# --------------------------------------------------------------------------------------------


@dataclass
class DemoPerson:
    full_name: str
    date_of_birth: date
    sex: str
    age: int
    relation: str
    phone: str = ""
    id_type: str = "none"
    id_number: str = ""
    health_insurance_number: str = ""
    ethnicity: str = "Kinh"
    occupation: str = ""
    priority_group: str | None = None
    ward_code: str | None = None
    address_line: str = ""
    missing: str = ""  # "phone", "document" or "ward" when made incomplete on purpose
    duplicate_of: int | None = None  # index (in the household people) of the record this one repeats

    def as_input(self) -> PersonInput:
        return PersonInput(
            full_name=self.full_name,
            date_of_birth=self.date_of_birth,
            sex=self.sex,
            phone=self.phone,
            id_type=self.id_type,
            id_number=self.id_number,
            health_insurance_number=self.health_insurance_number,
            nationality="VN",
            ethnicity=self.ethnicity,
            occupation=self.occupation,
            priority_group=self.priority_group,
            ward_code=self.ward_code,
            address_line=self.address_line,
        )


@dataclass
class DemoHousehold:
    ward_code: str
    address_line: str
    members: list[DemoPerson] = field(default_factory=list)  # the head first


@dataclass
class DemoPeople:
    households: list[DemoHousehold]
    duplicates: list[DemoPerson]

    @property
    def members(self) -> list[DemoPerson]:
        return [m for h in self.households for m in h.members]


class _Generator:
    def __init__(self, rng: random.Random, today: date, ward_codes: Sequence[str]):
        self.rng = rng
        self.today = today
        self.ward_codes = list(ward_codes)
        self.phones: set[str] = set()
        self.numbers: set[str] = set()

    def pick(self, weighted: Sequence[tuple[Any, ...]]) -> Any:
        return self.rng.choices([w[0] for w in weighted], weights=[w[-1] for w in weighted])[0]

    def name(self, sex: str, family: str) -> str:
        middle = self.pick(MIDDLE_NAMES[sex])
        given = self.rng.choice(GIVEN_NAMES[sex])
        if given == middle:
            given = self.rng.choice(GIVEN_NAMES[sex])
        return f"{family} {middle} {given}"

    def birth_date(self, age: int) -> date:
        return self.today - timedelta(days=age * 365 + age // 4 + self.rng.randint(1, 364))

    def phone(self) -> str:
        while True:
            number = f"+84{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**7):07d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def cccd(self, dob: date, sex: str) -> str:
        province = "075" if self.rng.random() < 0.8 else self.rng.choice(OTHER_ID_PROVINCES)
        digit = 2 * ((dob.year - 1900) // 100) + (1 if sex == "F" else 0)
        while True:
            number = f"{province}{digit}{dob.year % 100:02d}{self.rng.randrange(10**6):06d}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def cmnd(self) -> str:
        while True:
            number = f"27{self.rng.randrange(10**7):07d}"  # Đồng Nai's CMND numbers began with 27
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def person(self, *, sex: str, age: int, family: str, relation: str) -> DemoPerson:
        rng = self.rng
        dob = self.birth_date(age)
        p = DemoPerson(full_name=self.name(sex, family), date_of_birth=dob, sex=sex, age=age, relation=relation)
        p.ethnicity = self.pick(ETHNICITIES)
        if age >= 14:
            p.phone = self.phone()
            if age >= 40 and rng.random() < 0.05:
                p.id_type, p.id_number = "cmnd", self.cmnd()
            else:
                p.id_type, p.id_number = "cccd", self.cccd(dob, sex)
        elif rng.random() < 0.6:  # the personal identification number from the birth registration
            p.id_type, p.id_number = "cccd", self.cccd(dob, sex)
        if age < 6:
            p.occupation, p.priority_group, card = "", "6", "TE1"
        elif age < 18:
            p.occupation, p.priority_group, card = "Học sinh", "4", "HS4"
        elif age < 23 and rng.random() < 0.5:
            p.occupation, p.priority_group, card = "Sinh viên", "4", "SV4"
        elif age >= 65 or (age >= 60 and rng.random() < 0.5):
            p.occupation, p.priority_group, card = "Hưu trí", "5" if age >= 65 else "12", "HT3"
        else:
            p.occupation, p.priority_group, _weight = rng.choices(OCCUPATIONS, weights=[o[2] for o in OCCUPATIONS])[0]
            card = {"9": "DN4", "4": "HC4", "1": "HC4"}.get(p.priority_group, "GD4")
        if rng.random() < 0.6:
            p.health_insurance_number = f"{card}75{rng.randrange(10**10):010d}"
        return p

    def household(self, size: int) -> DemoHousehold:
        rng = self.rng
        ward = rng.choice(self.ward_codes)
        address = f"{rng.randint(1, 250)} đường {rng.choice(STREETS)}, khu phố {rng.randint(1, 12)}"
        household = DemoHousehold(ward_code=ward, address_line=address)
        head_sex = "M" if rng.random() < 0.75 else "F"
        head_age = rng.randint(18, 85) if size == 1 else rng.randint(25, 80)
        family = self.pick(FAMILY_NAMES)
        head = self.person(sex=head_sex, age=head_age, family=family, relation=Person.Relation.HEAD)
        household.members.append(head)
        spouse = None
        if size >= 2 and rng.random() < 0.85:
            spouse_age = max(18, min(85, head_age + rng.randint(-6, 6)))
            spouse_sex = "F" if head_sex == "M" else "M"
            spouse = self.person(
                sex=spouse_sex, age=spouse_age, family=self.pick(FAMILY_NAMES), relation=Person.Relation.SPOUSE
            )
            household.members.append(spouse)
        children_family = family if head_sex == "M" or spouse is None else spouse.full_name.split()[0]
        youngest_parent = min(head_age, spouse.age if spouse else head_age)
        if len(household.members) < size and head_age <= 60 and rng.random() < 0.25:
            parent_age = min(85, head_age + rng.randint(20, 30))
            parent_sex = "F" if rng.random() < 0.6 else "M"
            parent_family = family if parent_sex == "M" else self.pick(FAMILY_NAMES)
            household.members.append(
                self.person(sex=parent_sex, age=parent_age, family=parent_family, relation=Person.Relation.PARENT)
            )
        carer = spouse or head  # a young child uses a parent's phone (the spouse's, so the head's stays theirs)
        while len(household.members) < size:
            age = rng.randint(0, max(0, min(youngest_parent - 18, 30)))
            child = self.person(sex=rng.choice("MF"), age=age, family=children_family, relation=Person.Relation.CHILD)
            if age < 14:
                child.phone = carer.phone
            household.members.append(child)
        for member in household.members:
            member.ward_code, member.address_line = ward, address
        return household


def demo_people(*, seed: int, persons: int, households: int, ward_codes: Sequence[str], today: date) -> DemoPeople:
    """The demo's persons as data: `persons` in all, of which about 0.5 % are suspected duplicates
    (same name, birth date and phone as another, no document) and about 5 % are incomplete."""
    if not ward_codes:
        raise DemoError(_("There are no wards to put the demo persons in."))
    rng = random.Random(seed)
    gen = _Generator(rng, today, sorted(ward_codes))
    n_duplicates = round(persons / 200) if persons >= 20 else 0
    in_households = persons - n_duplicates
    n_households = max(1, min(households, in_households))
    sizes = [1] * n_households
    cap = max(8, -(-in_households // n_households) + 2)  # room enough for everyone
    for _i in range(in_households - n_households):
        index = rng.randrange(n_households)
        while sizes[index] >= cap:
            index = rng.randrange(n_households)
        sizes[index] += 1
    built = [gen.household(size) for size in sizes]
    people = [m for h in built for m in h.members]

    # About 5 % incomplete on purpose (the duplicates, lacking a document, count towards it).
    adults = [p for p in people if p.age >= 18 and p.relation != Person.Relation.HEAD]
    n_incomplete = max(0, round(persons * 0.05) - n_duplicates)
    for p in rng.sample(adults, min(n_incomplete, len(adults))):
        p.missing = rng.choice(["phone", "document", "ward"])
        if p.missing == "phone":
            p.phone = ""
        elif p.missing == "document":
            p.id_type, p.id_number = "none", ""
        else:
            p.ward_code = None

    # A handful of suspected duplicates: the same person registered again, without a document.
    candidates = [i for i, p in enumerate(people) if p.age >= 18 and not p.missing and p.phone and p.id_number]
    duplicates = []
    for index in sorted(rng.sample(candidates, min(n_duplicates, len(candidates)))):
        original = people[index]
        duplicates.append(
            replace(
                original,
                id_type="none",
                id_number="",
                health_insurance_number="",
                relation="",
                address_line=f"Số {rng.randint(1, 250)} {rng.choice(STREETS)}",
                duplicate_of=index,
            )
        )
    return DemoPeople(households=built, duplicates=duplicates)


# --------------------------------------------------------------------------------------------
# Places, facilities, organizations, users
# --------------------------------------------------------------------------------------------


def _say(stdout: Writer | None, line: str) -> None:
    if stdout is not None:
        stdout.write(f"{line}\n")


def _province(stdout: Writer | None) -> AdminUnit:
    province = AdminUnit.objects.filter(level=AdminUnit.Level.PROVINCE, code=PROVINCE_CODE).first()
    if province is None or not province.children.filter(level=AdminUnit.Level.WARD).exists():
        try:
            from vaxbook.places.services import places_load
        except ImportError:
            raise DemoError(_("Đồng Nai and its wards are not loaded: run `manage.py load_places` first.")) from None
        _say(stdout, _("Loading the places of Đồng Nai…"))
        places_load(province_codes={PROVINCE_CODE})
        province = AdminUnit.objects.filter(level=AdminUnit.Level.PROVINCE, code=PROVINCE_CODE).first()
    if province is None or not province.children.filter(level=AdminUnit.Level.WARD).exists():
        raise DemoError(_("Đồng Nai and its wards are not loaded: run `manage.py load_places` first."))
    return province


def _area_wards(wards: list[AdminUnit]) -> dict[str, list[AdminUnit]]:
    """The wards of each demo area, found by name; the first wards of the province where none is found."""
    by_name = {w.search_name: w for w in wards}
    out: dict[str, list[AdminUnit]] = {}
    for area, names in AREAS.items():
        found = []
        for name in names:
            unit = next((w for sn, w in by_name.items() if sn == name or sn.endswith(" " + name)), None)
            if unit is not None and unit not in found:
                found.append(unit)
        out[area] = found or wards[: len(names)]
    return out


def _ward_named(area: list[AdminUnit], name: str) -> AdminUnit:
    return next((w for w in area if w.search_name == name or w.search_name.endswith(" " + name)), area[0])


def _facilities(actor: User, province: AdminUnit) -> dict[str, Facility]:
    wards = list(province.children.filter(level=AdminUnit.Level.WARD).order_by("code"))
    areas = _area_wards(wards)
    out: dict[str, Facility] = {}
    for spec in FACILITIES:
        existing = Facility.objects.filter(code=spec["code"]).first()
        if existing is not None:
            out[spec["key"]] = existing
            continue
        area = areas[spec["area"]]
        at = _ward_named(area, spec["at"])
        catchment = [at, *[w for w in area if w != at]][: spec["catchment"]]
        out[spec["key"]] = _facility_create(actor=actor, spec=spec, admin_unit=at, catchment=catchment)
    return out


def _facility_create(
    *, actor: User, spec: dict[str, Any], admin_unit: AdminUnit, catchment: list[AdminUnit]
) -> Facility:
    try:
        from vaxbook.places.services import facility_create
    except ImportError:
        facility = Facility.objects.create(
            code=spec["code"],
            name=spec["name"],
            kind=spec["kind"],
            admin_unit=admin_unit,
            address_line=spec["address_line"],
        )
        facility.catchment.add(*catchment)
        audit_log(actor=actor, action="places.facility.created", subject=facility, data={"code": spec["code"]})
        return facility
    return facility_create(
        actor=actor,
        code=spec["code"],
        name=spec["name"],
        kind=spec["kind"],
        admin_unit=admin_unit,
        address_line=spec["address_line"],
        catchment=catchment,
    )


def _organizations(actor: User, province: AdminUnit) -> list[Organization]:
    out = []
    for spec in ORGANIZATIONS:
        org = Organization.objects.filter(tax_code=spec["tax_code"]).first()
        if org is None:
            org = Organization.objects.create(admin_unit=province, **spec)
            audit_log(actor=actor, action="organizations.organization.created", subject=org, data=spec)
        out.append(org)
    return out


def _users(province: AdminUnit, facilities: dict[str, Facility], org: Organization) -> dict[str, User]:
    out: dict[str, User] = {}
    for username, role, scope, last_name, first_name in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create_staff(
                actor=out.get("admin"),
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                facility=facilities.get(scope or ""),
                organization=org if scope == "org" else None,
                admin_unit=province if scope == "province" else None,
                first_name=first_name,
                last_name=last_name,
            )
        out[username] = user
    return out


# --------------------------------------------------------------------------------------------
# Persons, households, roster
# --------------------------------------------------------------------------------------------


def _persons(
    *, actor: User, people: DemoPeople, stdout: Writer | None, today: date
) -> tuple[list[Person], list[Person], int]:
    """Register the people (the same rules as every door), then group them into households in bulk.
    Returns the household members, the duplicates and the number of refused rows."""
    members = people.members
    results = persons_register_bulk(
        actor=actor, rows=[p.as_input() for p in members], source="facility", on_existing="conflict", today=today
    )
    dup_results = persons_register_bulk(
        actor=actor,
        rows=[p.as_input() for p in people.duplicates],
        source="facility",
        on_existing="conflict",
        today=today,
    )
    everyone = zip([*results, *dup_results], [*members, *people.duplicates], strict=True)
    refused = [(r, p) for r, p in everyone if r.person is None]
    for r, p in refused[:20]:
        _say(stdout, _("Refused: %(name)s (%(codes)s)") % {"name": p.full_name, "codes": ", ".join(r.codes)})

    saved: list[Person] = []
    households: list[Household] = []
    heads: list[Person] = []
    member_rows: list[tuple[int, Person, str]] = []  # household index, person, relation
    position = 0
    for demo_household in people.households:
        persons = []
        for demo_person in demo_household.members:
            person = results[position].person
            position += 1
            if person is not None:
                persons.append((person, demo_person.relation))
        if not persons or persons[0][1] != Person.Relation.HEAD:
            continue
        head = persons[0][0]
        households.append(Household(head=head, ward_id=head.ward_id, address_line=demo_household.address_line))
        heads.append(head)
        for person, relation in persons:
            member_rows.append((len(households) - 1, person, relation))
            saved.append(person)
    Household.objects.bulk_create(households, batch_size=1000)
    if not all(h.pk for h in households):  # backends without RETURNING
        ids = dict(
            Household.objects.filter(public_id__in=[h.public_id for h in households]).values_list("public_id", "pk")
        )
        for h in households:
            h.pk = ids[h.public_id]
    now = timezone.now()
    for index, person, relation in member_rows:
        person.household = households[index]
        person.relation_to_head = relation
        person.updated_at = now
    Person.objects.bulk_update(
        [p for _i, p, _r in member_rows], ["household", "relation_to_head", "updated_at"], batch_size=1000
    )
    sizes = Counter(index for index, _p, _r in member_rows)
    events = audit_event_objects(
        actor=actor,
        action="registry.household.created",
        subjects=list(households),
        data=[{"head": heads[i], "members": sizes[i], "via": "demo"} for i in range(len(households))],
    )
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    duplicates = [r.person for r in dup_results if r.person is not None]
    return saved, duplicates, len(refused)


def _roster(*, actor: User, org: Organization, persons: list[Person], rng: random.Random) -> int:
    """About 40 workers on the first organization's roster, when rosters exist."""
    try:
        entry_model = apps.get_model("organizations", "RosterEntry")
    except LookupError:
        return 0
    if entry_model.objects.filter(organization=org).exists():
        return 0
    workers = [p for p in persons if p.occupation == "Công nhân"] or [
        p for p in persons if p.priority_group_id and p.date_of_birth.year < 2000
    ]
    chosen = sorted(rng.sample(workers, min(ROSTER_SIZE, len(workers))), key=lambda p: p.pk)
    entries = [
        entry_model(
            organization=org,
            person=p,
            department=rng.choice(DEPARTMENTS),
            employee_number=f"CS{10001 + i:05d}",
        )
        for i, p in enumerate(chosen)
    ]
    entry_model.objects.bulk_create(entries, batch_size=1000)
    AuditEvent.objects.bulk_create(
        audit_event_objects(
            actor=actor,
            action="organizations.roster_entry.created",
            subjects=entries,
            data=[{"organization": org, "person": e.person, "via": "demo"} for e in entries],
        )
    )
    return len(entries)


# --------------------------------------------------------------------------------------------
# The whole demo
# --------------------------------------------------------------------------------------------


def demo_citizen(*, actor: User) -> Person | None:
    """A demo household head whose phone is theirs alone: a citizen who can sign in and see a household."""
    phones = Counter(Person.objects.exclude(phone="").values_list("phone", flat=True))
    heads = (
        Person.objects.filter(created_by=actor, relation_to_head=Person.Relation.HEAD, household__isnull=False)
        .exclude(phone="")
        .order_by("pk")
    )
    for head in heads[:200]:
        if phones[head.phone] == 1 and head.household.members.count() > 1:  # type: ignore[union-attr]
            return head
    return None


def _print_logins(stdout: Writer | None, users: dict[str, User], citizen: Person | None) -> None:
    _say(stdout, "")
    _say(stdout, _("Demo logins (password: %(password)s):") % {"password": DEMO_PASSWORD})
    for username, user in users.items():
        membership = user.memberships.filter(active=True).select_related("facility", "organization", "admin_unit")
        for m in membership[:1]:
            scope = m.facility or m.organization or m.admin_unit
            role = str(m.get_role_display())
            _say(stdout, f"  {username:<11} {role}" + (f" · {scope}" if scope else ""))
    if citizen is not None:
        _say(
            stdout,
            _("Citizen sign-in at /accounts/citizen/ with %(phone)s (%(name)s); the SMS is recorded, not sent.")
            % {"phone": national_phone(citizen.phone), "name": citizen.full_name},
        )


def _hook(name: str, function: str, stdout: Writer | None) -> None:
    """Run another app's part of the demo, when that app is installed (a broken one is not hidden)."""
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return
    getattr(module, function)(stdout=stdout)


def _app_demos(stdout: Writer | None) -> None:
    """The parts of the demo that other apps add: the vaccination day, the roster import."""
    _hook(CLINIC_DEMO_MODULE, "clinic_demo_load", stdout)
    _hook(ROSTER_DEMO_MODULE, "roster_demo_load", stdout)


def demo_load(
    *,
    stdout: Writer | None = None,
    persons: int = 2000,
    households: int = 700,
    seed: int = 2021,
    today: date | None = None,
) -> dict[str, Any]:
    """Load the demo (see the module docstring). Returns what it did, as counts."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    summary: dict[str, Any] = {"loaded": False, "persons": 0, "households": 0, "duplicates": 0, "refused": 0}
    admin = User.objects.filter(username="admin").first()
    if admin is not None and Person.objects.filter(created_by=admin).count() >= persons:
        _say(stdout, _("The demo is already loaded."))
        users = {u.username: u for u in User.objects.filter(username__in=[u[0] for u in USERS])}
        _print_logins(stdout, {name: users[name] for name, *_rest in USERS if name in users}, demo_citizen(actor=admin))
        _app_demos(stdout)
        return summary

    with transaction.atomic():
        priority_groups_load()
        province = _province(stdout)
        admin_user = admin or user_create_staff(
            actor=None,
            username="admin",
            password=DEMO_PASSWORD,
            role=Role.NATIONAL_ADMIN,
            first_name=USERS[0][4],
            last_name=USERS[0][3],
        )
        facilities = _facilities(admin_user, province)
        orgs = _organizations(admin_user, province)
        users = _users(province, facilities, orgs[0])
        _say(
            stdout,
            _("Facilities: %(count)d; organizations: %(orgs)d; users: %(users)d")
            % {"count": len(facilities), "orgs": len(orgs), "users": len(users)},
        )
        if not Person.objects.filter(created_by=admin_user).exists():
            ward_codes = sorted({w.code for f in facilities.values() for w in f.catchment.all()})
            people = demo_people(seed=seed, persons=persons, households=households, ward_codes=ward_codes, today=today)
            saved, duplicates, refused = _persons(actor=admin_user, people=people, stdout=stdout, today=today)
            roster = _roster(actor=admin_user, org=orgs[0], persons=saved, rng=random.Random(seed + 1))
            incomplete = sum(1 for p in [*saved, *duplicates] if p.data_status == Person.DataStatus.INCOMPLETE)
            summary.update(
                loaded=True,
                persons=len(saved) + len(duplicates),
                households=len({p.household_id for p in saved}),
                duplicates=sum(1 for p in duplicates if p.suspected_duplicate_of_id),
                incomplete=incomplete,
                refused=refused,
                roster=roster,
            )
            _say(
                stdout,
                _(
                    "Persons: %(persons)d in %(households)d households (%(incomplete)d incomplete, "
                    "%(duplicates)d suspected duplicates, %(refused)d refused); roster entries: %(roster)d"
                )
                % summary,
            )
    _print_logins(stdout, users, demo_citizen(actor=admin_user))
    _app_demos(stdout)
    summary["seconds"] = round(time.perf_counter() - started, 2)
    _say(stdout, _("Demo loaded in %(seconds).1f s.") % summary)
    return summary
