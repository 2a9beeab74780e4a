"""Registry benchmark: registrations per second through the API, and search latency, on PostgreSQL.

    .venv/bin/python bench/registry.py [--persons 1000000] [--registrations 6000] [--searches 400]

It builds a scratch database (DATABASE_URL, default postgres://root@127.0.0.1:5432/vaxbook_bench_registry),
loads `--persons` generated persons with COPY, starts the app under granian on 127.0.0.1 and measures:
- registrations/s: POST /api/v1/persons from concurrent clients (new, valid, complete persons);
- search latency p50/p95 by identity number, phone and name (typed without diacritics), both through
  GET /api/v1/persons?q= and in-process through the selector (the database part alone).
Targets (2 cores, app and database together): >= 300 registrations/s; p95 <= 5 ms by number or phone,
<= 50 ms by name.
"""

import argparse
import io
import random
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE_M = ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Ngọc"]
MIDDLE_F = ["Thị", "Ngọc", "Thanh", "Thu", "Kim", "Mỹ", "Bích", "Hồng"]
GIVEN_M = ["Hùng", "Dũng", "Nam", "Long", "Tuấn", "Khang", "Phúc", "Bảo", "Huy", "Tài", "Sơn", "Quang", "Trí", "Hải"]
GIVEN_F = ["Lan", "Hoa", "Mai", "Hương", "Linh", "Trang", "Thảo", "Ngọc", "Vy", "Hạnh", "Yến", "Nhung", "Thu", "Hà"]


def cccd(dob: date, sex: str, serial: int, province: str = "075") -> str:
    digit = {19: 0, 20: 2}[dob.year // 100] + (1 if sex == "F" else 0)
    return f"{province}{digit}{dob.year % 100:02d}{serial:06d}"


def generate(n: int, ward_ids: list[int], province_id: int, group_id: int) -> tuple[io.StringIO, list[tuple]]:
    from vaxbook.registry.identity import search_name

    rng = random.Random(2021)
    names = {}
    for sex, middles, givens in (("M", MIDDLE_M, GIVEN_M), ("F", MIDDLE_F, GIVEN_F)):
        names[sex] = [(f"{f} {m} {g}", search_name(f"{f} {m} {g}")) for f in FAMILY for m in middles for g in givens]
    buf = io.StringIO()
    sample: list[tuple] = []
    now = "2026-01-01 00:00:00+07"
    base = date(1940, 1, 1)
    for i in range(n):
        sex = "M" if i % 2 else "F"
        full, folded = names[sex][rng.randrange(len(names[sex]))]
        dob = base + timedelta(days=rng.randrange(365 * 65))
        phone = f"+8490{i:07d}"
        number = cccd(dob, sex, i)
        ward = ward_ids[i % len(ward_ids)]
        buf.write(
            f"{uuid.uuid4()}\t{now}\t{now}\t{full}\t{folded}\t{dob.isoformat()}\t{sex}\t{phone}\tcccd\t{number}\t"
            f"\tVN\tKinh\t\t{group_id}\t{province_id}\t{ward}\t1 Đường Số 1\t\tfacility\tcomplete\t[]\t1\n"
        )
        if i % max(1, n // 2000) == 0:
            sample.append((number, phone, folded))
    buf.seek(0)
    return buf, sample


COLUMNS = (
    "public_id, created_at, updated_at, full_name, search_name, date_of_birth, sex, phone, id_type, id_number,"
    " health_insurance_number, nationality, ethnicity, occupation, priority_group_id, province_id, ward_id,"
    " address_line, relation_to_head, source, data_status, problems, version"
)


def load_persons(n: int) -> tuple[list[tuple], object]:
    from django.db import connection

    from vaxbook.accounts.models import Membership
    from vaxbook.accounts.services import user_create_staff
    from vaxbook.places.models import AdminUnit
    from vaxbook.registry.identity import search_name
    from vaxbook.registry.models import Person, PriorityGroup

    province, _ = AdminUnit.objects.get_or_create(
        level="province", code="75", defaults={"name": "Tỉnh Đồng Nai", "search_name": search_name("Tỉnh Đồng Nai")}
    )
    wards = []
    for k in range(20):
        w, _ = AdminUnit.objects.get_or_create(
            level="ward",
            code=f"{26000 + k:05d}",
            defaults={"name": f"Phường {k}", "search_name": f"phuong {k}", "parent": province},
        )
        wards.append(w)
    group, _ = PriorityGroup.objects.get_or_create(code="9", defaults={"name": "Người lao động"})
    have = Person.objects.count()
    if have < n:
        t0 = time.monotonic()
        buf, sample = generate(n, [w.pk for w in wards], province.pk, group.pk)
        t1 = time.monotonic()
        with connection.cursor() as cur:
            cur.execute("TRUNCATE registry_person CASCADE")
            with cur.connection.cursor().copy(f"COPY registry_person ({COLUMNS}) FROM STDIN") as copy:
                while chunk := buf.read(1 << 20):
                    copy.write(chunk)
            cur.execute("ANALYZE registry_person")
        print(f"loaded {n} persons: generate {t1 - t0:.1f}s, COPY+ANALYZE {time.monotonic() - t1:.1f}s", flush=True)
    else:
        _buf, sample = generate(min(n, 200_000), [w.pk for w in wards], province.pk, group.pk)
        print(f"reusing {have} persons", flush=True)
    # After the load: TRUNCATE ... CASCADE empties the tables that point at persons (users among them).
    member = Membership.objects.filter(role="national_admin").select_related("user").first()
    admin = (
        member.user
        if member
        else user_create_staff(actor=None, username="bench", password="bench-pass-123", role="national_admin")
    )
    return sample, admin


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default="postgres://root@127.0.0.1:5432/vaxbook_bench_registry")
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--registrations", type=int, default=6000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--searches", type=int, default=400)
    ap.add_argument("--fresh", action="store_true", help="drop and rebuild the scratch database")
    args = ap.parse_args()

    print("machine:", harness.machine())
    harness.django_setup(args.database_url, fresh=args.fresh)
    sample, admin = load_persons(args.persons)

    from vaxbook.accounts.services import token_issue
    from vaxbook.registry.selectors import person_search

    admin.set_password("bench-pass-123")
    admin.save()
    raw, _exp = token_issue(request=None, username=admin.username, password="bench-pass-123")
    headers = {"Authorization": f"Bearer {raw}"}
    rng = random.Random(7)
    picks = [sample[rng.randrange(len(sample))] for _ in range(args.searches)]

    # In-process: the selector alone (database + Python, no HTTP).
    for label, idx in (("number", 0), ("phone", 1), ("name", 2)):
        lat = []
        for p in picks:
            q = p[idx] if idx != 1 else "0" + p[1][3:]
            t = time.perf_counter()
            found = person_search(user=admin, q=q, limit=25)
            lat.append(time.perf_counter() - t)
            assert found, (label, q)
        print(harness.summary(f"selector search by {label}", lat), flush=True)

    with harness.server(args.database_url, workers=args.workers) as base:
        local = __import__("threading").local()

        def client() -> harness.Http:
            if not hasattr(local, "c"):
                local.c = harness.Http(base, headers)
            return local.c

        # Search through the API, one client at a time (latency, not throughput).
        for label, idx in (("number", 0), ("phone", 1), ("name", 2)):
            lat = []
            for p in picks:
                q = p[idx] if idx != 1 else "0" + p[1][3:]
                t = time.perf_counter()
                status, data = client().request("GET", f"/api/v1/persons?q={quote(q)}&limit=25")
                lat.append(time.perf_counter() - t)
                assert status == 200 and data["count"] >= 1, (label, q, status)
            print(harness.summary(f"API search by {label}", lat), flush=True)

        # Registrations through the API from concurrent clients.
        start_serial = 100_000 + int(time.time()) % 400_000
        failures = []

        def register(i: int) -> float:
            sex = "M" if i % 2 else "F"
            dob = date(1960, 1, 1) + timedelta(days=(i * 37) % (365 * 40))
            body = {
                "full_name": f"{FAMILY[i % len(FAMILY)]} {MIDDLE_M[i % 8] if sex == 'M' else MIDDLE_F[i % 8]} "
                f"{GIVEN_M[i % 14] if sex == 'M' else GIVEN_F[i % 14]}",
                "date_of_birth": dob.isoformat(),
                "sex": sex,
                "phone": f"09{(start_serial * 10 + i) % 100_000_000:08d}",
                "id_type": "cccd",
                "id_number": cccd(dob, sex, (start_serial + i) % 1_000_000, province="001"),
                "priority_group": "9",
                "province_code": "75",
                "ward_code": "26001",
                "address_line": "5 Đường Số 2",
            }
            t = time.perf_counter()
            status, data = client().request("POST", "/api/v1/persons", body)
            latency = time.perf_counter() - t
            if status != 201:
                failures.append((status, str(data)[:200]))
            return latency

        lat, elapsed = harness.run_concurrent(
            register, total=args.registrations, concurrency=args.concurrency, max_seconds=120
        )
        print(harness.summary("API registrations", lat, elapsed), flush=True)
        if failures:
            print(f"  {len(failures)} registrations refused, e.g. {failures[:3]}")


if __name__ == "__main__":
    main()
