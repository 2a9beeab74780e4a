"""Shared pieces of the benchmarks: Django set-up on a scratch database, a real server, a load loop.

Every bench script prints its figures; bench/README.md keeps the latest with the machine they ran on.
The load generators only ever talk to 127.0.0.1, with bounded request counts and time.
"""

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-secret-key-bench-secret-key-bench",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LOG_LEVEL": "WARNING",
    # Connections live through a whole run: CpuMeter reads each PostgreSQL backend's CPU, and a
    # backend that closes in the middle of a phase would take its share with it.
    "CONN_MAX_AGE": "3600",
}


def ensure_postgres_database(url: str) -> None:
    """Create the database named in a postgres:// URL if it is missing."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_setup(database_url: str, *, fresh: bool = False) -> None:
    """Point Django at `database_url` (a scratch database) and migrate it."""
    if database_url.startswith("postgres"):
        if fresh:
            drop_postgres_database(database_url)
        ensure_postgres_database(database_url)
    os.environ.update(BENCH_ENV)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(database_url: str, *, workers: int = 3, threads: int = 1) -> Iterator[str]:
    """Run the app under granian on a free loopback port; yields its base URL."""
    port = free_port()
    env = {**os.environ, **BENCH_ENV, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    # The deployment of docs/operations.md: granian's WSGI server, `workers` processes each running the
    # app on `threads` threads, HTTP keep-alive.
    cmd = [
        str(ROOT / ".venv" / "bin" / "granian"),
        "--interface",
        "wsgi",
        "config.wsgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    global server_pid
    server_pid = proc.pid
    try:
        import httpx

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(base + "/api/openapi.json", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


server_pid: int | None = None  # the granian main process of the running `server()`


def _stat(pid: int | str) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command (state, ppid, ..., utime at 11, stime at 12,
    cutime at 13, cstime at 14), None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _proc_cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """User + system CPU seconds of one process (0 when it is gone); with `reaped`, also those of its
    children that have exited and been waited for."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    return sum(int(x) for x in fields[11 : 15 if reaped else 13]) / os.sysconf("SC_CLK_TCK")


def _pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def _children(pid: int) -> list[int]:
    out = []
    for child in _pids():
        fields = _stat(child)
        if fields is not None and int(fields[1]) == pid:
            out.append(child)
    return out


def postgres_cpu_seconds() -> float:
    """CPU seconds of every PostgreSQL process of this machine since it started: the live ones (backends,
    WAL writer, checkpointer, autovacuum) and, through the postmaster's count of its reaped children,
    those that have exited (a backend whose connection closed). The difference over a run is all the
    work the run made PostgreSQL do, whichever connection did it."""
    total = 0.0
    for pid in _pids():
        try:
            with open(f"/proc/{pid}/comm") as f:
                if not f.read().startswith("postgres"):
                    continue
        except OSError:
            continue
        total += _proc_cpu_seconds(pid, reaped=True)
    return total


def machine_cpu_seconds() -> tuple[float, float]:
    """Busy and stolen CPU seconds of the whole machine since boot (all cores, all processes and the
    kernel)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is inside user)
    busy = sum(ticks[:8]) - ticks[3] - ticks[4] - ticks[7]
    hz = os.sysconf("SC_CLK_TCK")
    return busy / hz, ticks[7] / hz


class CpuMeter:
    """CPU seconds spent by the app (the server and its workers), by PostgreSQL (the backends connected
    to the bench database) and by this load generator, between `start()` and `stop()`.

    CPU per request is steadier than requests per second on a shared 2-core machine, and it says where
    the time goes. PostgreSQL's background processes (WAL writer, checkpointer) are not counted in
    "db"; "machine" is the whole machine's busy CPU over the phase (/proc/stat, all processes and the
    kernel), so work that none of the parts shows (parallel workers forked per query, the postmaster
    forking them) stands out as machine well above the total. "steal" is the time the hypervisor gave
    this VM's cores to others."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.database = database_url.rsplit("/", 1)[1].split("?")[0]

    def _backends(self) -> list[int]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (self.database,)
            ).fetchall()
        return [r[0] for r in rows]

    def _sample(self) -> dict[str, dict[int, float]]:
        app = [server_pid, *_children(server_pid)] if server_pid else []
        return {
            "app": {pid: _proc_cpu_seconds(pid) for pid in app},
            "db": {pid: _proc_cpu_seconds(pid) for pid in self._backends()},
        }

    def start(self) -> None:
        self._before = self._sample()
        self._load_before = time.process_time()
        self._machine_before = machine_cpu_seconds()

    def stop(self) -> dict[str, float]:
        load = time.process_time() - self._load_before
        busy, steal = machine_cpu_seconds()
        after = self._sample()
        out = {"load": load, "machine": busy - self._machine_before[0], "steal": steal - self._machine_before[1]}
        for part in ("app", "db"):
            out[part] = sum(sec - self._before[part].get(pid, 0.0) for pid, sec in after[part].items())
        return out

    @staticmethod
    def per_item(cpu: dict[str, float], n: int) -> dict[str, float]:
        """CPU µs per item (request, dose) of each part, their total, and the whole machine's."""
        us = {k: cpu[k] / max(n, 1) * 1e6 for k in ("app", "db", "load")}
        return {
            **us,
            "total": sum(us.values()),
            "machine": cpu["machine"] / max(n, 1) * 1e6,
            "steal": cpu["steal"] / max(n, 1) * 1e6,
        }

    @staticmethod
    def describe(us: dict[str, float]) -> str:
        return "cpu µs per item: " + ", ".join(f"{k} {v:.0f}" for k, v in us.items())


class Http:
    """A keep-alive HTTP/1.1 JSON client on a bare socket. The load generator shares the two cores with
    the server and the database it measures, so it must cost as little as it can: http.client parses
    every response's headers with the email package and cost about 400 µs of CPU per request here,
    httpx about a millisecond; this one writes the request in one `sendall` and reads only the status
    line, Content-Length (or chunks) and the body.
    `request(..., parse=False)` skips decoding the JSON answer for callers that need only the status."""

    def __init__(self, base: str, headers: dict[str, str] | None = None):
        from urllib.parse import urlsplit

        parts = urlsplit(base)
        self._address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._host = f"{self._address[0]}:{self._address[1]}".encode()
        self._fixed = "".join(
            f"{k}: {v}\r\n" for k, v in {"Content-Type": "application/json", **(headers or {})}.items()
        ).encode()
        self._sock: socket.socket | None = None
        self._buffer = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(self._address, timeout=60)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock, self._buffer = sock, b""
        return sock

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock, self._buffer = None, b""

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        headers: dict[str, str] | None = None,
        *,
        parse: bool = True,
    ) -> tuple[int, object]:
        import json

        data = b"" if body is None else json.dumps(body).encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items()).encode()
        message = b"".join(
            (
                f"{method} {path} HTTP/1.1\r\nHost: ".encode(),
                self._host,
                b"\r\n",
                self._fixed,
                extra,
                b"Content-Length: %d\r\n\r\n" % len(data),
                data,
            )
        )
        try:
            status, payload, keep = self._exchange(message)
        except (ConnectionError, OSError):
            # The server closed an idle keep-alive connection: once more on a new one.
            self.close()
            status, payload, keep = self._exchange(message)
        if not keep:
            self.close()
        return status, (json.loads(payload) if parse and payload else None)

    def _exchange(self, message: bytes) -> tuple[int, bytes, bool]:
        sock = self._sock or self._connect()
        sock.sendall(message)
        head = self._read_until(sock, b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, keep = None, False, True
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                keep = value.strip().lower() != b"close"
        if chunked:
            parts = []
            while True:
                size = int(self._read_until(sock, b"\r\n").split(b";")[0], 16)
                parts.append(self._read_exactly(sock, size + 2)[:-2])
                if size == 0:  # the last chunk (and the empty line after it: no trailers)
                    return status, b"".join(parts), keep
        if length is None:
            keep = False
            return status, self._read_to_close(sock), keep
        return status, self._read_exactly(sock, length), keep

    def _fill(self, sock: socket.socket) -> None:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self._buffer += chunk

    def _read_until(self, sock: socket.socket, marker: bytes) -> bytes:
        while (i := self._buffer.find(marker)) < 0:
            self._fill(sock)
        out, self._buffer = self._buffer[:i], self._buffer[i + len(marker) :]
        return out

    def _read_exactly(self, sock: socket.socket, n: int) -> bytes:
        while len(self._buffer) < n:
            self._fill(sock)
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def _read_to_close(self, sock: socket.socket) -> bytes:
        while chunk := sock.recv(65536):
            self._buffer += chunk
        out, self._buffer = self._buffer, b""
        return out


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(name: str, latencies_s: list[float], elapsed_s: float | None = None, count: int | None = None) -> str:
    ms = [v * 1000 for v in latencies_s]
    parts = [f"{name}: n={len(ms)}", f"p50={pct(ms, 50):.2f} ms", f"p95={pct(ms, 95):.2f} ms"]
    if ms:
        parts.append(f"mean={statistics.fmean(ms):.2f} ms")
    if elapsed_s:
        parts.append(f"rate={(count if count is not None else len(ms)) / elapsed_s:.0f}/s")
    return "  ".join(parts)


def run_concurrent(
    make_request: Callable[[int], float], *, total: int, concurrency: int, max_seconds: float = 120.0
) -> tuple[list[float], float]:
    """Run `total` requests from `concurrency` threads (bounded by `max_seconds`); returns latencies, elapsed."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(total))
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            latency = make_request(i)
            with lock:
                latencies.append(latency)

    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.monotonic() - start


def run_paced(
    make_request: Callable[[int], float], *, rate: float, seconds: float, concurrency: int = 32
) -> list[float]:
    """Offer a fixed load of `rate` requests/s for `seconds` (open loop, bounded); returns latencies."""
    latencies: list[float] = []
    lock = threading.Lock()
    total = int(rate * seconds)
    start = time.monotonic()
    schedule = iter(range(total))

    def worker() -> None:
        while True:
            with lock:
                i = next(schedule, None)
            if i is None:
                return
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            latency = make_request(i)
            with lock:
                latencies.append(latency)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def machine() -> str:
    import platform

    cpus = os.cpu_count()
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) // 1024 // 1024} GiB"
    except OSError:
        pass
    return f"{platform.node()} {platform.machine()} {cpus} cores {mem} Python {platform.python_version()}"
