"""Dose benchmark: doses/s through the API (one by one, at a fixed load, in batches) and check-in latency.

    DATABASE_URL=postgres://root@127.0.0.1:5432/vaxbook_bench_doses .venv/bin/python bench/doses.py \
        [--persons 1000000] [--doses 2000000] [--fresh]

PostgreSQL only. It builds a scratch database (dropped and rebuilt when it holds fewer persons or doses
than asked, or with --fresh) with `--persons` complete persons and `--doses` earlier doses (two per
person at the default scale, with their stock ledger and counters), all generated inside PostgreSQL by
INSERT ... SELECT generate_series, and read once into memory (pg_prewarm) so that the phases run on a
warm database, as a database in service is. Then it starts the app under granian on 127.0.0.1 (DEBUG
off, as docs/operations.md deploys it: `--workers` processes of `--threads` threads) and drives it from a
bounded loopback load generator (keep-alive sockets, `harness.Http`, threads), each request a real
client write with its own Idempotency-Key, each dose a booster for a person who has two:

- single: POST /api/v1/doses from `--concurrency` closed-loop clients: doses/s, p50, p95;
- paced: POST /api/v1/doses offered at a fixed `--rate` (200/s) for `--paced-seconds`: p50, p95;
- batch: POST /api/v1/doses/batch with `--batch-size` items from `--batch-concurrency` clients: doses/s;
- check-in: POST /api/v1/checkins by public id or identity number from `--checkin-concurrency` clients: p50, p95.

After each closed-loop phase it prints the CPU spent per dose (or check-in) by the app, by PostgreSQL's
backends and by the load generator: steadier than the rates on a shared machine, and it says where the
time goes. `--phases` runs some of the phases only.

Targets (2 shared cores, app, database and load generator together): >= 400 doses/s single, p95 <= 50 ms
at 200/s, >= 5,000 doses/s in batches, check-in p95 <= 10 ms.
"""

import argparse
import json
import os
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import time as dt_time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

COMIRNATY = "EU/1/20/1528"
DEFAULT_URL = "postgres://root@127.0.0.1:5432/vaxbook_bench_doses"
PHASES = ("single", "paced", "batch", "checkin")


# Seeding ---------------------------------------------------------------------------------------------------


def _person_select(group_id: int, province_id: int, ward_id: int) -> tuple[str, list[str], dict[str, Any]]:
    """The INSERT ... SELECT for generated persons, with a SQL expression for every column of the model."""
    from vaxbook.registry.models import Person

    exprs = {
        "public_id": "gen_random_uuid()",
        "created_at": "now()",
        "updated_at": "now()",
        "full_name": "'Nguyễn Văn Thử ' || g",
        "search_name": "'nguyen van thu ' || g",
        "date_of_birth": "date '1950-01-01' + (g %% 20000)",
        "sex": "CASE WHEN g %% 2 = 0 THEN 'M' ELSE 'F' END",
        "phone": "'+849' || lpad(g::text, 8, '0')",
        "id_type": "'cccd'",
        "id_number": "'0' || lpad(g::text, 11, '0')",
        "priority_group_id": "%(group)s",
        "province_id": "%(province)s",
        "ward_id": "%(ward)s",
        "address_line": "'1 Đường Số 1'",
        "source": "'facility'",
        "data_status": "'complete'",
        "problems": "'[]'::jsonb",
        "nationality": "'VN'",
        "version": "1",
    }
    columns, values, params = [], [], {"group": group_id, "province": province_id, "ward": ward_id}
    for field in Person._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.name in exprs or field.column in exprs:
            values.append(exprs.get(field.name) or exprs[field.column])
        elif field.null:
            values.append("NULL")
        elif field.has_default():
            key = f"default_{field.column}"
            default = field.get_default()
            params[key] = json.dumps(default) if isinstance(default, list | dict) else default
            values.append(f"%({key})s")
        elif field.blank and field.empty_strings_allowed:
            values.append("''")
        else:
            raise SystemExit(f"bench/doses.py does not know how to fill registry_person.{field.column}")
    sql = f"INSERT INTO registry_person ({', '.join(columns)}) SELECT {', '.join(values)} FROM generate_series(1, %(n)s) g"
    return sql, columns, params


def seed(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from vaxbook.accounts.models import ApiToken, Membership, Role, User
    from vaxbook.accounts.services import TOKEN_PREFIX, _hash
    from vaxbook.clinic.models import Dose, Session
    from vaxbook.clinic.services import screening_questions_load
    from vaxbook.places.models import AdminUnit, Facility
    from vaxbook.registry.models import Person, PriorityGroup
    from vaxbook.vaccines.models import Lot, LotHolding, StockMovement, Vaccine
    from vaxbook.vaccines.services import vaccines_load

    vaccines_load()
    screening_questions_load()
    vaccine = Vaccine.objects.get(code=COMIRNATY)
    province, _ = AdminUnit.objects.get_or_create(
        level="province", code="75", defaults={"name": "Tỉnh Đồng Nai", "search_name": "tinh dong nai"}
    )
    ward, _ = AdminUnit.objects.get_or_create(
        level="ward",
        code="26041",
        defaults={"name": "Phường Trấn Biên", "search_name": "phuong tran bien", "parent": province},
    )
    group, _ = PriorityGroup.objects.get_or_create(code="9", defaults={"name": "Người lao động"})

    facilities, tokens, users = [], [], []
    for k in range(args.facilities):
        facility, _ = Facility.objects.get_or_create(
            code=f"BENCH-{k:03d}", defaults={"name": f"Điểm tiêm {k}", "kind": "commune_station", "admin_unit": ward}
        )
        user, created = User.objects.get_or_create(username=f"bench-vaccinator-{k}")
        if created:
            user.set_unusable_password()
            user.save()
            Membership.objects.create(user=user, role=Role.VACCINATOR, facility=facility)
        raw = f"{TOKEN_PREFIX}bench-{k}-{uuid.uuid4().hex}"
        ApiToken.objects.create(
            user=user, key_hash=_hash(raw), prefix=raw[4:12], expires_at=timezone.now() + timedelta(days=1)
        )
        facilities.append(facility)
        users.append(user)
        tokens.append(raw)

    have_persons, have_doses = Person.objects.count(), Dose.objects.count()
    if have_persons < args.persons or have_doses < args.doses:
        t0 = time.monotonic()
        old_lots = []
        for k, facility in enumerate(facilities):
            lot, _ = Lot.objects.get_or_create(
                vaccine=vaccine, number=f"OLD-{k:03d}", defaults={"expiry": "2022-12-31"}
            )
            LotHolding.objects.get_or_create(facility=facility, lot=lot)
            old_lots.append(lot)
        sql, _columns, params = _person_select(group.pk, province.pk, ward.pk)
        with connection.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
            cur.execute(sql, {**params, "n": args.persons})
            cur.execute("SELECT min(id) FROM registry_person")
            first_id = cur.fetchone()[0]
            t1 = time.monotonic()
            print(f"  {args.persons} persons in {t1 - t0:.1f}s", flush=True)
            # Earlier doses: the k-th is person (k mod P)'s dose number k div P + 1, a Comirnaty series in
            # 2021-2022, at the person's facility, from that facility's old lot.
            cur.execute(
                """
                INSERT INTO clinic_dose (public_id, created_at, updated_at, person_id, vaccine_id, lot_id, dose_number,
                    administered_at, administered_on, facility_id, vaccinator_id, recorded_by_id, recorded_at, source,
                    screening_id, appointment_id, status, void_reason, voided_at, voided_by_id, idempotency_key)
                SELECT gen_random_uuid(), now(), now(), %(first)s + (k %% %(p)s), %(vaccine)s,
                    (%(lots)s::bigint[])[((k %% %(p)s) %% %(f)s) + 1], k / %(p)s + 1,
                    (d + time '09:00') AT TIME ZONE 'Asia/Ho_Chi_Minh', d,
                    (%(facilities)s::bigint[])[((k %% %(p)s) %% %(f)s) + 1],
                    (%(users)s::bigint[])[((k %% %(p)s) %% %(f)s) + 1],
                    (%(users)s::bigint[])[((k %% %(p)s) %% %(f)s) + 1],
                    (d + time '17:00') AT TIME ZONE 'Asia/Ho_Chi_Minh', 'back_entry',
                    NULL, NULL, 'valid', '', NULL, NULL, ''
                FROM generate_series(0, %(d)s - 1) k,
                     LATERAL (SELECT date '2021-08-01' + ((k %% %(p)s) %% 120)::int + (k / %(p)s) * 120 AS d) day
                """,
                {
                    "first": first_id,
                    "p": args.persons,
                    "d": args.doses,
                    "f": len(facilities),
                    "vaccine": vaccine.pk,
                    "lots": [lot.pk for lot in old_lots],
                    "facilities": [x.pk for x in facilities],
                    "users": [u.pk for u in users],
                },
            )
            t2 = time.monotonic()
            print(f"  {args.doses} earlier doses in {t2 - t1:.1f}s", flush=True)
            cur.execute(
                """
                INSERT INTO vaccines_stockmovement (public_id, created_at, updated_at, facility_id, lot_id, kind, quantity,
                    sequence, balance, at, counterpart_id, reason, reference, note, recorded_by_id)
                SELECT gen_random_uuid(), now(), now(), facility_id, lot_id, 'received', count(*), 1, count(*),
                    min(administered_at) - interval '1 day', NULL, '', '', 'bench seed', NULL
                FROM clinic_dose GROUP BY facility_id, lot_id
                """
            )
            cur.execute(
                """
                INSERT INTO vaccines_stockmovement (public_id, created_at, updated_at, facility_id, lot_id, kind, quantity,
                    sequence, balance, at, counterpart_id, reason, reference, note, recorded_by_id)
                SELECT gen_random_uuid(), now(), now(), d.facility_id, d.lot_id, 'used', -1,
                    1 + ROW_NUMBER() OVER w, c.n - ROW_NUMBER() OVER w, d.administered_at, NULL, '',
                    d.public_id::text, '', d.recorded_by_id
                FROM clinic_dose d
                JOIN (SELECT facility_id, lot_id, count(*) AS n FROM clinic_dose GROUP BY 1, 2) c
                    ON c.facility_id = d.facility_id AND c.lot_id = d.lot_id
                WINDOW w AS (PARTITION BY d.facility_id, d.lot_id ORDER BY d.id)
                """
            )
            cur.execute(
                """
                INSERT INTO clinic_dosecounter (facility_id, vaccine_id, date, dose_number, count)
                SELECT facility_id, vaccine_id, administered_on, dose_number, count(*) FROM clinic_dose GROUP BY 1, 2, 3, 4
                """
            )
            t3 = time.monotonic()
            print(f"  stock ledger and counters in {t3 - t2:.1f}s", flush=True)
            for table in ("registry_person", "clinic_dose", "vaccines_stockmovement", "clinic_dosecounter"):
                cur.execute(f"VACUUM ANALYZE {table}")
            print(f"  vacuum analyze in {time.monotonic() - t3:.1f}s", flush=True)
    else:
        print(f"  reusing {have_persons} persons and {have_doses} doses", flush=True)

    # Fresh stock for the run: a new lot per facility with plenty in it, its ledger `--ledger-lines` long
    # before the first dose (a lot in use for weeks at a busy site: reading where it stands must not grow
    # with it); a session today at each facility.
    expiry = timezone.localdate() + timedelta(days=180)
    lots = []
    run = int(time.time()) % 1_000_000
    for k, facility in enumerate(facilities):
        lot, _ = Lot.objects.get_or_create(vaccine=vaccine, number=f"BENCH-{run}-{k:03d}", defaults={"expiry": expiry})
        if not LotHolding.objects.filter(facility=facility, lot=lot).exists():
            LotHolding.objects.create(facility=facility, lot=lot)
            StockMovement.objects.create(
                facility=facility,
                lot=lot,
                kind="received",
                quantity=5_000_000,
                sequence=1,
                balance=5_000_000,
                at=timezone.now(),
                note="bench",
            )
            if args.ledger_lines:
                with connection.cursor() as cur:
                    cur.execute(
                        """
                        INSERT INTO vaccines_stockmovement (public_id, created_at, updated_at, facility_id, lot_id,
                            kind, quantity, sequence, balance, at, counterpart_id, reason, reference, note,
                            recorded_by_id)
                        SELECT gen_random_uuid(), now(), now(), %(f)s, %(l)s, 'used', -1, 1 + g, 5000000 - g,
                            now() - interval '1 day', NULL, '', '', 'bench ledger', NULL
                        FROM generate_series(1, %(n)s) g
                        """,
                        {"f": facility.pk, "l": lot.pk, "n": args.ledger_lines},
                    )
        lots.append(lot)
        Session.objects.get_or_create(
            facility=facility,
            date=timezone.localdate(),
            vaccine=vaccine,
            defaults={"starts_at": dt_time(0, 0), "ends_at": dt_time(23, 59), "capacity": 100_000},
        )
    return {
        "facilities": [str(x.public_id) for x in facilities],
        "tokens": tokens,
        "lots": [lot.number for lot in lots],
    }


# The tables a run writes to. This machine's PostgreSQL runs with autovacuum off (the packaged default
# is on, and docs/operations.md keeps it on): without fresh statistics the planner takes a table that
# grew by thousands of rows during the last phase for the empty one it saw, and reads a batch's 500
# idempotency keys by scanning the user's every record (33 ms, against 3 ms with statistics).
WRITTEN_TABLES = (
    "clinic_dose",
    "vaccines_stockmovement",
    "common_auditevent",
    "common_idempotencyrecord",
    "clinic_appointment",
    "clinic_dosecounter",
)


def analyze_written(url: str) -> None:
    """ANALYZE the tables the run writes to, as autovacuum would between phases (not timed)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for table in WRITTEN_TABLES:
            conn.execute(f"ANALYZE {table}")


def prewarm(url: str) -> str:
    """Read every table and index of the scratch database once (pg_prewarm, contrib), so that no phase
    pays for the first read from disk of a relation it touches: a database that has just been built or
    restored is cold, a database in service is warm. Says how long it took (not timed), or why not."""
    import psycopg

    t = time.monotonic()
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            conn.execute(
                "SELECT pg_prewarm(c.oid, 'read') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"
            )
    except psycopg.Error as exc:
        return f"not prewarmed ({exc.diag.message_primary or exc}): the first phase may read from disk"
    return f"prewarmed the tables and indexes in {time.monotonic() - t:.1f}s"


def due_persons(n: int) -> list[tuple[str, str]]:
    """(public id, identity number) of persons with two doses and no booster yet, spread over the table."""
    from django.db import connection

    with connection.cursor() as cur:
        # Earlier runs added boosters: fresh statistics, or the planner expects none and nests its loops.
        cur.execute("ANALYZE clinic_dose")
        cur.execute(
            """
            SELECT p.public_id::text, p.id_number FROM registry_person p
            WHERE NOT EXISTS (SELECT 1 FROM clinic_dose d WHERE d.person_id = p.id AND d.dose_number >= 3)
              AND EXISTS (SELECT 1 FROM clinic_dose d WHERE d.person_id = p.id AND d.dose_number = 2)
            ORDER BY p.id %% 97, p.id LIMIT %s
            """,
            [n],
        )
        return [(r[0], r[1]) for r in cur.fetchall()]


# Load ---------------------------------------------------------------------------------------------------


class Load:
    """Per-thread keep-alive clients; every client acts as the vaccinator of one facility."""

    def __init__(self, base: str, ctx: dict[str, Any], persons: list[tuple[str, str]]) -> None:
        self.base = base
        self.ctx = ctx
        self.persons = persons
        self.next_person = 0
        self.lock = threading.Lock()
        self.local = threading.local()
        self.statuses: Counter[str] = Counter()
        self.slot_counter = 0

    def client(self) -> tuple[harness.Http, int]:
        if not hasattr(self.local, "client"):
            with self.lock:
                slot = self.slot_counter % len(self.ctx["tokens"])
                self.slot_counter += 1
            self.local.slot = slot
            # A bare keep-alive socket (harness.Http): the load generator leaves the cores to the server
            # and the database it measures.
            self.local.client = harness.Http(self.base, {"Authorization": f"Bearer {self.ctx['tokens'][slot]}"})
        return self.local.client, self.local.slot

    def take(self, n: int = 1) -> list[tuple[str, str]]:
        with self.lock:
            start = self.next_person
            self.next_person += n
        if self.next_person > len(self.persons):
            raise SystemExit("not enough due persons for this run: raise --persons or lower the request counts")
        return self.persons[start : start + n]

    def dose_body(self, slot: int, person_id: str) -> dict[str, Any]:
        from datetime import UTC, datetime

        return {
            "person_id": person_id,
            "facility_id": self.ctx["facilities"][slot],
            "vaccine_code": COMIRNATY,
            "lot_number": self.ctx["lots"][slot],
            "administered_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            "source": "back_entry",
        }

    def note(self, label: str, status: int) -> None:
        with self.lock:
            self.statuses[f"{label} {status}"] += 1

    def dose(self, _i: int) -> float:
        client, slot = self.client()
        [(person_id, _number)] = self.take()
        body = self.dose_body(slot, person_id)
        t = time.perf_counter()
        status, _ = client.request("POST", "/api/v1/doses", body, {"Idempotency-Key": uuid.uuid4().hex}, parse=False)
        elapsed = time.perf_counter() - t
        self.note("dose", status)
        return elapsed

    def batch(self, size: int) -> tuple[float, int]:
        client, slot = self.client()
        items = [
            {"idempotency_key": uuid.uuid4().hex, **self.dose_body(slot, person_id)}
            for person_id, _number in self.take(size)
        ]
        t = time.perf_counter()
        status, data = client.request("POST", "/api/v1/doses/batch", {"items": items})
        elapsed = time.perf_counter() - t
        self.note("batch", status)
        created = data.get("created", 0) if status == 200 else 0
        if status == 200:
            for row in data["results"]:
                if row["status"] != 201:
                    self.note("batch item " + row["errors"][0]["code"], row["status"])
        return elapsed, created

    def checkin(self, i: int) -> float:
        client, slot = self.client()
        person_id, number = self.persons[i % len(self.persons)]
        body = {"facility_id": self.ctx["facilities"][slot]}
        body.update({"person_id": person_id} if i % 2 else {"id_number": number})
        t = time.perf_counter()
        status, _ = client.request("POST", "/api/v1/checkins", body, parse=False)
        elapsed = time.perf_counter() - t
        self.note("checkin", status)
        return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--doses", type=int, default=2_000_000)
    ap.add_argument("--facilities", type=int, default=20)
    ap.add_argument("--fresh", action="store_true", help="drop and rebuild the scratch database")
    # The deployment docs/operations.md describes: two single-threaded workers per core.
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--single", type=int, default=4000, help="doses through POST /doses (closed loop)")
    ap.add_argument("--concurrency", type=int, default=12)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--paced-seconds", type=float, default=15.0)
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--batch-concurrency", type=int, default=3)
    ap.add_argument("--checkins", type=int, default=3000)
    ap.add_argument("--checkin-concurrency", type=int, default=4)
    ap.add_argument("--max-seconds", type=float, default=120.0, help="bound on each closed-loop phase")
    ap.add_argument(
        "--ledger-lines",
        type=int,
        default=0,
        help="lines already in each run lot's ledger at its facility before the first dose",
    )
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--phases", default=",".join(PHASES), help=f"which phases to run (of {','.join(PHASES)})")
    args = ap.parse_args()
    phases = {p.strip() for p in args.phases.split(",") if p.strip()}
    if not phases or phases - set(PHASES):
        raise SystemExit(f"--phases: choose among {', '.join(PHASES)}")

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        raise SystemExit("bench/doses.py runs on PostgreSQL only: set DATABASE_URL=postgres://...")
    print("machine:", harness.machine(), flush=True)
    t0 = time.monotonic()
    harness.django_setup(url, fresh=args.fresh)
    from vaxbook.clinic.models import Dose
    from vaxbook.registry.models import Person

    if not args.fresh and (Person.objects.count() < args.persons or Dose.objects.count() < args.doses):
        from django.db import connections

        connections.close_all()
        print("rebuilding the scratch database", flush=True)
        harness.django_setup(url, fresh=True)
    print("seeding", flush=True)
    ctx = seed(args)
    needed = (
        args.single * ("single" in phases)
        + int(args.rate * args.paced_seconds) * ("paced" in phases)
        + args.batches * args.batch_size * ("batch" in phases)
        + 10
    )
    persons = due_persons(needed)
    print(f"setup {time.monotonic() - t0:.1f}s; {len(persons)} due persons ready", flush=True)
    print(prewarm(url), flush=True)
    from django.db import connections

    connections.close_all()

    figures: dict[str, Any] = {
        "persons": args.persons,
        "earlier_doses": args.doses,
        "ledger_lines": args.ledger_lines,
        "machine": harness.machine(),
    }
    with harness.server(url, workers=args.workers, threads=args.threads) as base:
        load = Load(base, ctx, persons)
        # Warm up every worker's connections and catalogue cache (these check-ins are not counted).
        harness.run_concurrent(load.checkin, total=60, concurrency=args.concurrency)

        meter = harness.CpuMeter(url)

        def closed_loop(label: str, request: Any, total: int, concurrency: int) -> dict[str, Any]:
            """`total` requests from `concurrency` clients: rate, latency and CPU per request."""
            analyze_written(url)
            meter.start()
            lat, elapsed = harness.run_concurrent(
                request, total=total, concurrency=concurrency, max_seconds=args.max_seconds
            )
            cpu = meter.per_item(meter.stop(), len(lat))
            print(harness.summary(f"{label} (c={concurrency})", lat, elapsed), flush=True)
            print("  " + meter.describe(cpu), flush=True)
            return {
                "n": len(lat),
                "per_s": len(lat) / elapsed,
                "p50_ms": harness.pct(lat, 50) * 1000,
                "p95_ms": harness.pct(lat, 95) * 1000,
                "cpu_us": cpu,
            }

        if "single" in phases:
            figures["single"] = closed_loop("single POST /doses", load.dose, args.single, args.concurrency)

        if "paced" in phases:
            analyze_written(url)
            lat = harness.run_paced(load.dose, rate=args.rate, seconds=args.paced_seconds, concurrency=48)
            print(harness.summary(f"paced POST /doses at {args.rate:.0f}/s", lat), flush=True)
            figures["paced"] = {
                "rate": args.rate,
                "n": len(lat),
                "p50_ms": harness.pct(lat, 50) * 1000,
                "p95_ms": harness.pct(lat, 95) * 1000,
            }

        if "batch" in phases:
            created_total = 0
            lock = threading.Lock()

            def one_batch(_i: int) -> float:
                nonlocal created_total
                elapsed_b, created = load.batch(args.batch_size)
                with lock:
                    created_total += created
                return elapsed_b

            analyze_written(url)
            meter.start()
            batch_lat, elapsed = harness.run_concurrent(
                one_batch, total=args.batches, concurrency=args.batch_concurrency, max_seconds=args.max_seconds
            )
            cpu = meter.per_item(meter.stop(), created_total)
            print(
                harness.summary(
                    f"POST /doses/batch x{args.batch_size} (c={args.batch_concurrency})", batch_lat, elapsed
                )
                + f"  doses/s={created_total / elapsed:.0f}",
                flush=True,
            )
            print("  " + meter.describe(cpu), flush=True)
            figures["batch"] = {
                "batches": len(batch_lat),
                "size": args.batch_size,
                "created": created_total,
                "doses_per_s": created_total / elapsed,
                "batch_p50_ms": harness.pct(batch_lat, 50) * 1000,
                "batch_p95_ms": harness.pct(batch_lat, 95) * 1000,
                "cpu_us": cpu,
            }

        if "checkin" in phases:
            figures["checkin"] = closed_loop("POST /checkins", load.checkin, args.checkins, args.checkin_concurrency)
        figures["statuses"] = dict(load.statuses)
        print("statuses:", dict(sorted(load.statuses.items())), flush=True)

    checks = {
        "single": ("single doses/s >= 400", lambda f: f["per_s"] >= 400),
        "paced": ("p95 at 200/s <= 50 ms", lambda f: f["p95_ms"] <= 50),
        "batch": ("batch doses/s >= 5000", lambda f: f["doses_per_s"] >= 5000),
        "checkin": ("check-in p95 <= 10 ms", lambda f: f["p95_ms"] <= 10),
    }
    targets = [(name, test(figures[phase])) for phase, (name, test) in checks.items() if phase in figures]
    for name, ok in targets:
        print(f"  {'met ' if ok else 'MISSED'} {name}")
    figures["targets"] = {name: ok for name, ok in targets}
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
