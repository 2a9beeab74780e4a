"""Roster import benchmark: rows/s end to end, against django-import-export, and peak memory at 1M rows.

    .venv/bin/python bench/roster_import.py [--rows 100000] [--baseline-rows 10000] [--memory-rows 1000000]
    .venv/bin/python bench/roster_import.py --rows 2000 --baseline-rows 500 --memory-rows 5000   # smoke run

It builds a scratch PostgreSQL database (DATABASE_URL or --database-url, default
postgres://root@127.0.0.1:5432/vaxbook_bench_roster; dropped and migrated), its own province, 60 wards,
the priority groups, an organization and its representative, then:

1. writes a `--rows` roster (.xlsx, xlsxwriter constant_memory) of realistic rows with about 2 % bad
   ones (bad phone, bad or contradicting ID number, no name, unknown ward, a number repeated) and the
   usual spreadsheet damage (phones and codes typed as numbers, real Excel dates next to text dates,
   double spaces in names); imports it end to end through the real service — `roster_import_start`
   (upload checks, store, enqueue) and the task (read, validate, write, audit, error report) — and
   prints rows/s and the CPU seconds it took of this process (`app`), of PostgreSQL (every one of its
   processes) and of the whole machine: the import is bound by whichever of the first two is nearer
   the wall time;
   with `--shared-strings` its texts are in a shared-strings part, as Excel saves a workbook (the bench's
   default keeps them in the sheet, as xlsxwriter's constant memory writes them);
   then imports the same file again (every person known: nothing is created), and measures
   PostgreSQL's part alone ("database alone", `database_floor`): the rows the first import wrote are
   read out, the tables emptied and the same rows written back by COPY in the import's chunks, with
   every index and foreign-key check and no Python work: the rows/s the import could reach on this
   machine if its Python cost nothing;
2. imports the first `--baseline-rows` rows of the same data with django-import-export (a
   `ModelResource` for Person with the minimal field mapping, `import_data(dry_run=False)` on a tablib
   Dataset loaded from the .xlsx), the baseline a Django team would reach for, into an emptied person
   table; when `--baseline-rows` is below `--rows` its rate is extrapolated to `--rows`, and it says so;
   then empties the table and imports the file once more with our import, so that the baseline's
   minutes are bracketed by two imports (a shared VM's speed drifts) and the ratio is printed for both;
3. writes a `--memory-rows` roster and imports it in a child process (so the figure is that import's
   alone), printing the child's peak RSS (VmHWM) and its rows/s; with `--memory-shared-strings` its texts
   are in a shared-strings part, as a workbook Excel saved holds them (calamine parses that part with
   every slice; writing it takes xlsxwriter a few GB).

Targets (2 cores, app and database on one machine): >= 20,000 rows/s end to end, >= 20x the baseline,
peak memory <= 500 MB for 1,000,000 rows.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

DEFAULT_DB = "postgres://root@127.0.0.1:5432/vaxbook_bench_roster"
WARDS = [f"{26000 + k:05d}" for k in range(1, 61)]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = {"M": ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh"], "F": ["Thị", "Ngọc", "Thanh", "Thu", "Kim", "Mỹ"]}
GIVEN = {
    "M": ["Hùng", "Dũng", "Nam", "Long", "Tuấn", "Khang", "Phúc", "Bảo", "Huy", "Tài", "Sơn", "Quang"],
    "F": ["Lan", "Hoa", "Mai", "Hương", "Linh", "Trang", "Thảo", "Ngọc", "Vy", "Hạnh", "Yến", "Nhung"],
}
DEPARTMENTS = ["Phòng Kế toán", "Phòng Nhân sự", "Xưởng 1", "Xưởng 2", "Kho vận", "Phòng Kỹ thuật", "Bảo vệ"]


def cccd(dob: date, sex: str, serial: int) -> str:
    digit = {19: 0, 20: 2}[dob.year // 100] + (1 if sex == "F" else 0)
    return f"075{digit}{dob.year % 100:02d}{serial:06d}"


def write_roster(path: Path, rows: int, seed: int = 2021, *, shared_strings: bool = False) -> dict[str, int]:
    """A realistic roster of `rows` rows; returns how many rows of each defect it holds. Its texts are in the
    sheet (inline strings, as xlsxwriter's constant memory writes them), or with `shared_strings` in a
    shared-strings part, as Excel and LibreOffice save a workbook (xlsxwriter then holds the sheet in memory)."""
    import xlsxwriter

    from vaxbook.organizations.columns import TEMPLATE_COLUMNS

    rng = random.Random(seed)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": not shared_strings, "strings_to_numbers": False})
    sheet = book.add_worksheet("Danh sách")
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, [c.header for c in TEMPLATE_COLUMNS])
    defects: dict[str, int] = {}
    numbers: list[str] = []
    for i in range(1, rows + 1):
        sex = "M" if rng.random() < 0.5 else "F"
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"
        dob = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 45))
        number = cccd(dob, sex, i)
        phone: object = f"09{rng.randrange(9)}{rng.randrange(10**7):07d}"  # 090–098: valid mobile prefixes
        ward: object = rng.choice(WARDS)
        dob_cell: object = dob.strftime("%d/%m/%Y")
        roll = rng.random()
        if roll < 0.004:
            phone, kind = "0212345", "bad_phone"
        elif roll < 0.008:
            number, kind = number[:-2], "bad_id_number"
        elif roll < 0.011:
            sex, kind = ("F" if sex == "M" else "M"), "id_sex_mismatch"
        elif roll < 0.014:
            name, kind = "", "no_name"
        elif roll < 0.017:
            ward, kind = "99999", "unknown_ward"
        elif roll < 0.020 and numbers:
            number, kind = rng.choice(numbers[-1000:]), "repeated_number"
        else:
            kind = "good"
        defects[kind] = defects.get(kind, 0) + 1
        numbers.append(number)
        if rng.random() < 0.10:
            phone = int(str(phone)) if str(phone).isdigit() else phone  # typed as a number: loses its zero
        if rng.random() < 0.05:
            ward = int(str(ward))
        if rng.random() < 0.2 and name:
            name = name.replace(" ", "  ", 1)
        values: list[object] = [
            i,
            name,
            dob_cell,
            "Nam" if sex == "M" else "Nữ",
            phone,
            "CCCD",
            number,
            "",
            "9",
            "Công nhân",
            rng.choice(DEPARTMENTS),
            "Kinh",
            "VN",
            "75",
            ward,
            f"{rng.randrange(1, 300)} Đường Số {rng.randrange(1, 40)}",
        ]
        for col, value in enumerate(values):
            if col == 2 and rng.random() < 0.3:
                sheet.write_datetime(i, col, dob, date_format)  # a real Excel date
            elif isinstance(value, int):
                sheet.write_number(i, col, value)
            elif value:
                sheet.write_string(i, col, str(value))
    book.close()
    return defects


def fixtures() -> tuple[object, object]:
    from vaxbook.accounts.models import Membership
    from vaxbook.accounts.services import user_create_staff
    from vaxbook.organizations.models import Organization
    from vaxbook.places.models import AdminUnit
    from vaxbook.registry.identity import search_name
    from vaxbook.registry.services import priority_groups_load

    province, _ = AdminUnit.objects.get_or_create(
        level="province", code="75", defaults={"name": "Tỉnh Đồng Nai", "search_name": search_name("Tỉnh Đồng Nai")}
    )
    for code in WARDS:
        AdminUnit.objects.get_or_create(
            level="ward",
            code=code,
            defaults={"name": f"Phường {code}", "search_name": f"phuong {code}", "parent": province},
        )
    priority_groups_load()
    org, _ = Organization.objects.get_or_create(
        tax_code="3600000001", defaults={"name": "Công ty Bench", "admin_unit": province}
    )
    membership = Membership.objects.filter(role="org_representative", organization=org).select_related("user").first()
    if membership:
        return org, membership.user
    user = user_create_staff(
        actor=None, username="bench_rep", password="bench-pass-123", role="org_representative", organization=org
    )
    return org, user


def empty_persons() -> None:
    from django.db import connection

    from vaxbook.accounts.models import User

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE organizations_rosterconflict, organizations_rosterentry, organizations_rosterimport, "
            "common_auditevent"
        )
        User.objects.update(person=None)  # the bench's users are staff: nothing points at a person
        cur.execute("DELETE FROM registry_person")


def import_file(path: Path) -> dict[str, object]:
    """The real path: roster_import_start (upload checks, store, enqueue on commit) and the task."""
    from django.core.files.uploadedfile import UploadedFile

    from vaxbook.organizations.models import RosterImport
    from vaxbook.organizations.services import roster_import_start

    org, rep = fixtures()
    with open(path, "rb") as f:
        upload = UploadedFile(file=f, name=path.name, size=path.stat().st_size)
        db, machine = harness.postgres_cpu_seconds(), harness.machine_cpu_seconds()[0]
        started, cpu = time.perf_counter(), time.process_time()
        roster_import = roster_import_start(actor=rep, organization=org, upload=upload)  # runs the task on commit
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        db, machine = harness.postgres_cpu_seconds() - db, harness.machine_cpu_seconds()[0] - machine
    roster_import = RosterImport.objects.get(pk=roster_import.pk)
    assert roster_import.status == "done", roster_import.problems
    assert roster_import.started_at is not None and roster_import.finished_at is not None
    run = (roster_import.finished_at - roster_import.started_at).total_seconds()
    return {
        "rows": roster_import.total,
        "seconds": round(elapsed, 2),
        "upload_check_seconds": round(elapsed - run, 2),
        "rows_per_s": round(roster_import.total / elapsed),
        "app_cpu_seconds": round(cpu, 2),  # this process alone (the rest is PostgreSQL, or waiting for a core)
        "db_cpu_seconds": round(db, 2),  # every PostgreSQL process (harness.postgres_cpu_seconds)
        "machine_cpu_seconds": round(machine, 2),  # the whole machine's busy CPU (2 cores: at most 2x seconds)
        "created": roster_import.created,
        "linked": roster_import.linked,
        "refused": roster_import.refused,
    }


# What the import writes, table by table, in the order it writes them in each chunk.
WRITTEN = ("registry_person", "common_auditevent", "organizations_rosterentry")


def database_floor(rows: int) -> dict[str, object]:
    """PostgreSQL's own part of the import, alone: the rows the import just wrote (persons, their audit
    events, roster entries) are read out, the tables emptied, and the same rows written back by COPY in
    the import's chunks, one transaction each, with every index, constraint and deferred foreign-key
    check the real tables have. No Python work but sending the bytes: the import cannot be faster than
    this on this machine, however little its Python costs. `rows` is the file's row count (the import's
    rate counts the refused rows too)."""
    from django.db import connection

    from vaxbook.organizations.conf import limit

    chunk_rows = limit("ROSTER_IMPORT_CHUNK_ROWS")
    tables: dict[str, list[bytes]] = {}
    with connection.cursor() as cur:
        for table in WRITTEN:
            with cur.copy(f"COPY (SELECT * FROM {table} ORDER BY id) TO STDOUT") as copy:
                text = b"".join(bytes(block) for block in copy)
            lines = text.splitlines(keepends=True)  # COPY's text format escapes \n and \r within values
            tables[table] = [b"".join(lines[i : i + chunk_rows]) for i in range(0, len(lines), chunk_rows)]
    persons = sum(block.count(b"\n") for block in tables["registry_person"])
    empty_persons()
    with connection.cursor() as cur:
        for table in WRITTEN:
            cur.execute(f"VACUUM {table}")
    parts = {table: 0.0 for table in WRITTEN} | {"commit": 0.0}
    db = harness.postgres_cpu_seconds()
    started = time.perf_counter()
    with connection.cursor() as cur:
        for chunk in range(max(len(blocks) for blocks in tables.values())):
            cur.execute("BEGIN")
            for table in WRITTEN:
                if chunk < len(tables[table]):
                    t = time.perf_counter()
                    with cur.copy(f"COPY {table} FROM STDIN") as copy:
                        copy.write(tables[table][chunk])
                    parts[table] += time.perf_counter() - t
            t = time.perf_counter()
            cur.execute("COMMIT")  # the deferred foreign-key checks run here
            parts["commit"] += time.perf_counter() - t
    elapsed = time.perf_counter() - started
    return {
        "persons": persons,
        "seconds": round(elapsed, 2),
        "db_cpu_seconds": round(harness.postgres_cpu_seconds() - db, 2),
        "ceiling_rows_per_s": round(rows / elapsed),
        **{f"{name}_seconds": round(value, 2) for name, value in parts.items()},
    }


def baseline(path: Path) -> dict[str, object]:
    """django-import-export: a ModelResource for Person, minimal mapping, import_data(dry_run=False)."""
    import tablib
    from import_export import fields, resources, widgets

    from vaxbook.registry.identity import search_name
    from vaxbook.registry.models import Person

    class PersonResource(resources.ModelResource):
        full_name = fields.Field(attribute="full_name", column_name="Họ và tên")
        date_of_birth = fields.Field(
            attribute="date_of_birth", column_name="Ngày sinh", widget=widgets.DateWidget(format="%d/%m/%Y")
        )
        sex = fields.Field(attribute="sex", column_name="Giới tính")
        phone = fields.Field(attribute="phone", column_name="Số điện thoại")
        id_number = fields.Field(attribute="id_number", column_name="Số giấy tờ")

        class Meta:
            model = Person
            fields = ("full_name", "date_of_birth", "sex", "phone", "id_number")
            import_id_fields = ("id_number",)

        def before_import_row(self, row, **kwargs):  # type: ignore[no-untyped-def]
            row["Giới tính"] = "M" if row.get("Giới tính") == "Nam" else "F"
            value = row.get("Ngày sinh")
            if isinstance(value, date):
                row["Ngày sinh"] = value.strftime("%d/%m/%Y")

        def before_save_instance(self, instance, row, **kwargs):  # type: ignore[no-untyped-def]
            instance.search_name = search_name(instance.full_name)
            instance.id_type = "cccd"
            instance.data_status = "incomplete"
            instance.source = "import"

    started = time.perf_counter()
    with open(path, "rb") as f:
        dataset = tablib.Dataset().load(f.read(), format="xlsx")
    loaded = time.perf_counter()
    result = PersonResource().import_data(dataset, dry_run=False, raise_errors=False)
    elapsed = time.perf_counter() - started
    return {
        "rows": len(dataset),
        "seconds": round(elapsed, 2),
        "load_seconds": round(loaded - started, 2),
        "rows_per_s": round(len(dataset) / elapsed),
        "new": result.totals.get("new", 0),
        "errors": len(result.row_errors()) + len(result.invalid_rows),
    }


def child_import(path: str) -> None:
    """In a child process: import `path` and print the import's figures with this process's peak RSS."""
    from django.conf import settings

    settings.ROSTER_IMPORT_MAX_BYTES = 2 * 1024 * 1024 * 1024  # a million rows is larger than an upload may be
    empty_persons()
    figures = import_file(Path(path))
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
    figures["peak_rss_mb"] = round(peak / 1024)
    print("CHILD " + json.dumps(figures), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DB))
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--baseline-rows", type=int, default=10_000)
    ap.add_argument("--memory-rows", type=int, default=1_000_000)
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument(
        "--shared-strings",
        action="store_true",
        help="write the --rows roster (and the baseline's) with a shared-strings part, as Excel saves one",
    )
    ap.add_argument(
        "--memory-shared-strings",
        action="store_true",
        help="write the --memory-rows roster with a shared-strings part, as Excel saves one",
    )
    ap.add_argument("--workdir", default="/tmp/vaxbook-bench-roster")
    ap.add_argument("--child-import", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.database_url.startswith("postgres"):
        sys.exit("this benchmark needs PostgreSQL (--database-url postgres://…)")
    os.environ["TASKS_BACKEND"] = "django.tasks.backends.immediate.ImmediateBackend"  # the task runs on commit
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    os.environ["MEDIA_ROOT"] = str(work / "media")

    if args.child_import:
        harness.django_setup(args.database_url)
        child_import(args.child_import)
        return

    print("machine:", harness.machine())
    harness.django_setup(args.database_url, fresh=True)
    fixtures()

    shared = "-shared" if args.shared_strings else ""
    path = work / f"roster-{args.rows}{shared}.xlsx"
    started = time.perf_counter()
    defects = write_roster(path, args.rows, shared_strings=args.shared_strings)
    bad = args.rows - defects.get("good", 0)
    print(
        f"wrote {path.name}: {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB, {bad} defective "
        f"({100 * bad / args.rows:.1f} %: {', '.join(f'{k} {v}' for k, v in sorted(defects.items()) if k != 'good')})"
        f" in {time.perf_counter() - started:.1f}s",
        flush=True,
    )
    ours = import_file(path)
    print(f"vaxbook import:   {json.dumps(ours)}", flush=True)
    again = import_file(path)
    print(f"same file again:  {json.dumps(again)}", flush=True)
    assert again["created"] == 0
    floor = database_floor(ours["rows"])  # type: ignore[arg-type]
    print(f"database alone:   {json.dumps(floor)}", flush=True)
    print(
        f"PostgreSQL's part alone takes {floor['seconds']}s: at most {floor['ceiling_rows_per_s']} rows/s "
        f"end to end on this machine, with Python free (the import {ours['rows_per_s']} rows/s)",
        flush=True,
    )

    if not args.skip_baseline:
        sample_rows = min(args.baseline_rows, args.rows)
        sample = work / f"roster-{sample_rows}{shared}.xlsx"
        write_roster(sample, sample_rows, shared_strings=args.shared_strings)  # the same seed: the same first rows
        empty_persons()
        base = baseline(sample)
        note = ""
        if sample_rows < args.rows:
            note = f" (timed on the first {sample_rows} rows; {args.rows} rows extrapolated at that rate)"
        print(f"import-export:    {json.dumps(base)}{note}", flush=True)
        print(
            f"baseline {args.rows} rows ≈ {args.rows / base['rows_per_s']:.0f}s; "
            f"vaxbook {ours['seconds']}s; speed-up {ours['rows_per_s'] / base['rows_per_s']:.1f}x",
            flush=True,
        )
        # The baseline takes minutes, and a shared VM's speed drifts meanwhile: the import once more, just
        # after it, brackets the baseline's time, so that the ratio is read against both imports.
        empty_persons()
        after = import_file(path)
        print(f"vaxbook again, after the baseline: {json.dumps(after)}", flush=True)
        print(
            f"speed-up against the import after the baseline {after['rows_per_s'] / base['rows_per_s']:.1f}x "
            f"(before it {ours['rows_per_s'] / base['rows_per_s']:.1f}x)",
            flush=True,
        )

    if not args.skip_memory:
        big = work / f"roster-{args.memory_rows}.xlsx"
        started = time.perf_counter()
        if args.memory_shared_strings:
            big = work / f"roster-{args.memory_rows}-shared.xlsx"
        write_roster(big, args.memory_rows, seed=7, shared_strings=args.memory_shared_strings)
        print(
            f"wrote {big.name}: {big.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.0f}s", flush=True
        )
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--database-url",
                args.database_url,
                "--workdir",
                str(work),
                "--child-import",
                str(big),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        line = next(x for x in child.stdout.splitlines() if x.startswith("CHILD "))
        print(f"memory import:    {line[6:]}", flush=True)


if __name__ == "__main__":
    main()
