"""Benchmark: Twilio's inbound webhook and keyword replies on the real stack.

    .venv/bin/python bench/webhook.py            (needs PostgreSQL and Redis; see the README)

Starts, as separate processes: `gunicorn project.wsgi` (gunicorn.conf.py), a Celery worker,
and the local Twilio stand-in (tests/support/fake_twilio.py), on a fresh PostgreSQL
database and a Redis database of their own. A load generator sends pre-signed webhooks
over keep-alive connections and prints:

1. the ceiling: the same server answering a bare Django view with empty TwiML;
2. the webhook's sustained rate (closed loop), with p50/p99 latency;
3. the webhook at a fixed 200 requests/s (open loop: latency counted from the scheduled
   send time, so a stall is not hidden), with p50/p99;
4. keyword replies at 50 messages/s with the worker running: time from the webhook
   received (the inbound row's timestamp) to the request reaching Twilio, p50/p99;
5. bursts (--burst RATE:SECONDS, by default 150/s for 60 s, then 100/s for 30 s): keywords
   sent open loop with the worker running; the reply delay (inbound row created -> request
   at Twilio) p50/p99, how many were answered exactly once, and the worker's CPU time per
   reply (its parent and pool processes, read with psutil);
6. the sustainable reply rate: the worker is stopped (SIGSTOP) while --drain webhooks are
   recorded and queued, then resumed; replies reaching Twilio per second until all have.

Phases 1-3 run the web tier alone, as when workers run on other machines; their queued
tasks are purged before phase 4. The worker is one `celery -A project worker` with
--worker-concurrency processes (2: production on this machine). Figures are for this
machine only; they are printed with its description and written to bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psutil
import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sms.simulation import inbound_sms_params, twilio_signature

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PUBLIC_BASE_URL = "https://bench.example.org"
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "bench-auth-token"
WEBHOOK = "/twilio/sms/"
CEILING = "/bench/empty/"
WORKER_COMMAND = ["celery", "-A", "project", "worker", "-l", "warning", "--without-gossip", "--without-mingle"]


# --- Processes ------------------------------------------------------------------------------


def service_environment(args: argparse.Namespace, fake_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-secret",
        "SUPPRESSION_HMAC_KEY": "bench-suppression-key",
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # the benchmark speaks plain http to gunicorn
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+3225550100",
        "TWILIO_API_BASE_URL": fake_url,
        "BENCHMARK_ENDPOINTS": "1",
        "SMS_REPLY_LIMIT_PER_HOUR": "1000",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{args.port}",
        "PYTHONUNBUFFERED": "1",
    }


def reset_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def start(name: str, command: list[str], environment: dict[str, str]) -> subprocess.Popen[bytes]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = (RESULTS / f"{name}.log").open("wb")
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)


def wait_until(check: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start (see bench/results/*.log)")


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status < 500


def cpu_seconds() -> dict[str, float]:
    """CPU time used so far by every process on the machine, grouped by what it is."""
    groups: dict[str, float] = {}
    for process in psutil.process_iter(["name", "cmdline", "cpu_times"]):
        try:
            command = " ".join(process.info["cmdline"] or [process.info["name"] or ""])
            times = process.info["cpu_times"]
        except psutil.Error:
            continue
        if times is None:
            continue
        if "gunicorn" in command:
            group = "gunicorn"
        elif "celery" in command:
            group = "celery worker"
        elif "fake_twilio" in command:
            group = "fake Twilio"
        elif "bench/webhook.py" in command:
            group = "load generator"
        elif "postgres" in command:
            group = "PostgreSQL"
        elif "redis" in command:
            group = "Redis"
        else:
            group = "other"
        groups[group] = groups.get(group, 0.0) + times.user + times.system
    return groups


def tree_rss_mb(process: subprocess.Popen[bytes]) -> float:
    try:
        parent = psutil.Process(process.pid)
        return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / 2**20
    except psutil.Error:
        return 0.0


def tree_cpu_seconds(process: subprocess.Popen[bytes] | psutil.Process) -> float:
    """CPU time (user + system) used so far by a process and its living descendants."""
    try:
        parent = process if isinstance(process, psutil.Process) else psutil.Process(process.pid)
        family = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for member in family:
        with contextlib.suppress(psutil.Error):
            times = member.cpu_times()
            total += times.user + times.system
    return total


class PostgresBackends(threading.Thread):
    """CPU time of the PostgreSQL backends connected to one database, read twice a second.

    A backend ends when its connection closes (CONN_MAX_AGE), taking its CPU time with
    it; the last reading stays, so at most half a second of each ended backend is lost.
    """

    def __init__(self, database: str) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.seconds: dict[int, float] = {}
        self.lock = threading.Lock()
        self.read()
        self.start()

    def read(self) -> None:
        for process in psutil.process_iter(["cmdline", "cpu_times"]):
            with contextlib.suppress(psutil.Error, TypeError):
                command = " ".join(process.info["cmdline"] or [])
                if command.startswith("postgres: ") and f" {self.database} " in command:
                    times = process.info["cpu_times"]
                    with self.lock:
                        self.seconds[process.pid] = times.user + times.system

    def run(self) -> None:
        while True:
            time.sleep(0.5)
            self.read()

    def snapshot(self) -> dict[str, float]:
        self.read()
        with self.lock:
            return {f"PostgreSQL {pid}": seconds for pid, seconds in self.seconds.items()}


def busy_seconds() -> float:
    """CPU time the whole machine has spent working so far (all cores, all processes)."""
    times = psutil.cpu_times()
    return float(sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq", "steal")))


def stack_cpu_seconds(processes: dict[str, subprocess.Popen[bytes]], postgres: PostgresBackends) -> dict[str, float]:
    """CPU time used so far by this benchmark's own processes, by what they are, and by the
    whole machine ("machine"), so that other people's work on a shared machine shows.

    PostgreSQL counts only the backends connected to the benchmark's database (their
    process title names it), each under its own key ("PostgreSQL pid"), so that one that
    ends (CONN_MAX_AGE) does not turn a difference negative; Redis is the whole server.
    """
    groups = {"machine": busy_seconds()}
    groups.update({name: tree_cpu_seconds(process) for name, process in processes.items()})
    if "worker" in processes:
        # The worker's parent (broker, acks, handing tasks to the pool) apart from the pool.
        with contextlib.suppress(psutil.Error):
            parent = psutil.Process(processes["worker"].pid).cpu_times()
            groups["worker parent"] = parent.user + parent.system
    own = psutil.Process().cpu_times()  # this process alone: the others are its children
    groups["load generator"] = own.user + own.system
    groups["Redis (whole server)"] = 0.0
    for process in psutil.process_iter(["cmdline", "cpu_times"]):
        with contextlib.suppress(psutil.Error, TypeError):
            command = " ".join(process.info["cmdline"] or [])
            if "redis-server" in command and ":6379" in command:
                times = process.info["cpu_times"]
                groups["Redis (whole server)"] += times.user + times.system
    groups.update(postgres.snapshot())
    return groups


def other_work(before: dict[str, float], after: dict[str, float], wall: float) -> float:
    """What other processes on the machine used meanwhile, in % of one core."""
    ours = sum(after[key] - before.get(key, 0.0) for key in after if key not in ("machine", "worker parent"))
    return max(0.0, (after["machine"] - before["machine"] - ours) / wall * 100)


# --- Requests -------------------------------------------------------------------------------


def signed_request(path: str, params: dict[str, str], port: int) -> bytes:
    body = urlencode(params).encode()
    signature = twilio_signature(PUBLIC_BASE_URL + path, params, auth_token=AUTH_TOKEN)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {signature}\r\n\r\n"
    )
    return head.encode() + body


def inbound(number: int, body: str) -> dict[str, str]:
    return inbound_sms_params(
        sender=f"+3247{number:07d}", body=body, to="+3225550100", account_sid=ACCOUNT_SID, FromCountry="BE"
    )


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def roundtrip(self, request: bytes) -> tuple[int, bool]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        await self.reader.readexactly(int(headers.get("content-length", "0")))
        return status, headers.get("connection", "").lower() == "close"

    def close(self) -> None:
        self.writer.close()


@dataclass
class Run:
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    send_times: dict[int, float] = field(default_factory=dict)  # request index -> wall clock
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def closed_loop(requests: list[bytes], port: int, concurrency: int, duration: float) -> Run:
    run = Run()
    position = iter(range(len(requests)))
    stop_at = time.perf_counter() + duration

    async def client() -> None:
        conn = await Connection.open(port)
        while time.perf_counter() < stop_at:
            index = next(position, None)
            if index is None:
                break
            started = time.perf_counter()
            try:
                status, closed = await conn.roundtrip(requests[index])
            except (OSError, asyncio.IncompleteReadError):
                run.errors += 1
                conn = await Connection.open(port)
                continue
            run.latencies.append(time.perf_counter() - started)
            if status >= 300:
                run.errors += 1
            if closed:
                conn.close()
                conn = await Connection.open(port)
        conn.close()

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    run.elapsed = time.perf_counter() - began
    return run


async def open_loop(requests: list[bytes], port: int, rate: float, duration: float) -> Run:
    """Send at a fixed rate whatever the server does; latency counts from the scheduled time."""
    run = Run()
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    total = min(len(requests), int(rate * duration))
    began = time.perf_counter()
    wall_began = time.time()

    async def one(index: int, scheduled: float) -> None:
        conn = idle.get_nowait() if not idle.empty() else await Connection.open(port)
        run.send_times[index] = wall_began + (scheduled - began)
        try:
            status, closed = await conn.roundtrip(requests[index])
        except (OSError, asyncio.IncompleteReadError):
            run.errors += 1
            return
        run.latencies.append(time.perf_counter() - scheduled)
        if status >= 300:
            run.errors += 1
        if closed:
            conn.close()
        else:
            idle.put_nowait(conn)

    tasks = []
    for index in range(total):
        scheduled = began + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, scheduled)))
    await asyncio.gather(*tasks)
    run.elapsed = time.perf_counter() - began
    while not idle.empty():
        idle.get_nowait().close()
    return run


# --- Phases ---------------------------------------------------------------------------------


def machine() -> dict[str, object]:
    model = ""
    with contextlib.suppress(OSError, StopIteration):
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def summary(run: Run) -> dict[str, float]:
    return {
        "requests": len(run.latencies),
        "errors": run.errors,
        "rate_per_s": round(run.rate, 1),
        "p50_ms": round(percentile(run.latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(run.latencies, 99) * 1000, 2),
    }


def web_phases(
    args: argparse.Namespace,
    make: Callable[..., list[bytes]],
    results: dict[str, object],
    processes: dict[str, subprocess.Popen[bytes]],
) -> None:
    budget = int(2000 * args.duration)
    for key, label, path, body, offset in [
        ("ceiling_bare_view", "1. bare view (ceiling):  ", CEILING, "x", 0),
        ("webhook_sustained", "2. webhook, sustained:   ", WEBHOOK, "hello", 1_000_000),
    ]:
        run = asyncio.run(closed_loop(make(budget, body, path, offset), args.port, args.concurrency, args.duration))
        results[key] = summary(run)
        print(
            f"{label}{run.rate:7.0f} req/s  p50 {ms(percentile(run.latencies, 50))}"
            f"  p99 {ms(percentile(run.latencies, 99))}  errors {run.errors}",
            flush=True,
        )
    fixed = asyncio.run(
        open_loop(make(int(200 * args.duration), "hello", WEBHOOK, 3_000_000), args.port, 200, args.duration)
    )
    results["webhook_at_200_per_s"] = summary(fixed)
    print(
        f"3. webhook at 200/s:     {fixed.rate:7.0f} req/s  p50 {ms(percentile(fixed.latencies, 50))}"
        f"  p99 {ms(percentile(fixed.latencies, 99))}  errors {fixed.errors}",
        flush=True,
    )
    results["gunicorn_rss_mb"] = round(tree_rss_mb(processes["gunicorn"]), 1)


def twilio_posts(fake_url: str) -> list[tuple[str, float]]:
    """Every message the stand-in received: (To, arrival time), in order of arrival."""
    with urllib.request.urlopen(f"{fake_url}/_fake/requests", timeout=60) as response:
        return [(r["params"]["To"], r["at"]) for r in json.load(response) if r["method"] == "POST"]


def twilio_arrivals(fake_url: str) -> dict[str, float]:
    return dict(twilio_posts(fake_url))


def start_worker(
    args: argparse.Namespace,
    make: Callable[..., list[bytes]],
    processes: dict[str, subprocess.Popen[bytes]],
    environment: dict[str, str],
    fake_url: str,
) -> None:
    redis.Redis.from_url(args.redis_url).flushdb()  # tasks queued by the web phases
    processes["worker"] = start(
        "worker",
        [sys.executable, "-m", *WORKER_COMMAND, "-c", str(args.worker_concurrency)],
        environment,
    )
    # Warm up: worker processes open their connections and build their keyword index.
    warm = 40
    asyncio.run(open_loop(make(warm, "KRAMP", WEBHOOK, 4_000_000), args.port, 10, warm / 10))
    deadline = time.monotonic() + 30
    while len(twilio_arrivals(fake_url)) < warm and time.monotonic() < deadline:
        time.sleep(0.2)


def reply_phase(
    args: argparse.Namespace,
    make: Callable[..., list[bytes]],
    results: dict[str, object],
    processes: dict[str, subprocess.Popen[bytes]],
    fake_url: str,
) -> None:
    rate, count, offset = 50.0, int(50 * args.duration * 2), 5_000_000
    requests = make(count, "KRAMP", WEBHOOK, offset)
    cpu_before, wall_before = cpu_seconds(), time.monotonic()
    run = asyncio.run(open_loop(requests, args.port, rate, count / rate))
    cpu_after, wall = cpu_seconds(), time.monotonic() - wall_before
    cpu_share = {
        group: round((cpu_after.get(group, 0.0) - cpu_before.get(group, 0.0)) / wall * 100, 1) for group in cpu_after
    }
    numbers = [f"+3247{offset + i:07d}" for i in range(count)]
    deadline = time.monotonic() + 30
    arrivals = twilio_arrivals(fake_url)
    while time.monotonic() < deadline and sum(1 for n in numbers if n in arrivals) < count:
        time.sleep(0.5)
        arrivals = twilio_arrivals(fake_url)
    received = {}
    with psycopg.connect(args.database_url) as conn:
        for number, created in conn.execute(
            "SELECT phone_number, extract(epoch from created_at) FROM messaging_message WHERE direction = 'in'"
        ):
            received[number] = float(created)
    from_received = [arrivals[n] - received[n] for n in numbers if n in arrivals and n in received]
    from_sent = [arrivals[numbers[i]] - t for i, t in run.send_times.items() if numbers[i] in arrivals]
    reached = sum(1 for n in numbers if n in arrivals)
    results["keyword_reply_at_50_per_s"] = {
        "messages": count,
        "reached_twilio": reached,
        "webhook_p99_ms": round(percentile(run.latencies, 99) * 1000, 2),
        **{f"received_to_twilio_p{p}_ms": round(percentile(from_received, p) * 1000, 2) for p in (50, 90, 99, 100)},
        **{f"client_send_to_twilio_p{p}_ms": round(percentile(from_sent, p) * 1000, 2) for p in (50, 99)},
        "worker_concurrency": args.worker_concurrency,
        "cpu_percent_of_one_core_by_process_group": cpu_share,
    }
    results["worker_rss_mb"] = round(tree_rss_mb(processes["worker"]), 1)
    print(
        f"4. keyword replies at 50/s: {reached}/{count} reached Twilio; webhook received -> Twilio request"
        f" p50 {ms(percentile(from_received, 50))}  p90 {ms(percentile(from_received, 90))}"
        f"  p99 {ms(percentile(from_received, 99))}  max {ms(max(from_received, default=0))}"
        f"\n   (from the client's send: p50 {ms(percentile(from_sent, 50))}, p99 {ms(percentile(from_sent, 99))})",
        flush=True,
    )
    print(
        "   CPU while sending (% of one core): "
        + ", ".join(
            f"{group} {share}" for group, share in sorted(cpu_share.items(), key=lambda kv: -kv[1]) if share >= 0.5
        )
    )
    print(f"   memory: worker {results['worker_rss_mb']} MB in all ({args.worker_concurrency} processes + parent)")


def last_message_id(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT coalesce(max(id), 0) FROM messaging_message").fetchone()
    return int(row[0]) if row else 0


def wait_for_replies(database_url: str, after_id: int, count: int, patience: float = 30.0) -> None:
    """Until `count` replies created after message `after_id` have left `sending`, or
    nothing has moved for `patience` seconds."""
    done, last_change = -1, time.monotonic()
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT count(*) FROM messaging_message WHERE id > %s AND direction = 'out' AND state <> 'sending'",
                (after_id,),
            ).fetchone()
            now = time.monotonic()
            if row and row[0] != done:
                done, last_change = row[0], now
            if done >= count or now - last_change > patience:
                return
            time.sleep(0.25)


@dataclass
class Replies:
    """What reached the stand-in for one range of numbers, and how late."""

    once: int
    missing: int
    twice: int
    delays: list[float]  # inbound row created -> request at Twilio, seconds
    from_sent: list[float]  # the client's scheduled send -> request at Twilio, seconds
    arrived: list[float]  # each answered number's first request at Twilio (time.time), sorted

    def rate_between(self, start: float, end: float) -> float:
        """Replies per second reaching Twilio in [start, end]."""
        if end <= start:
            return float("nan")
        return sum(1 for at in self.arrived if start <= at <= end) / (end - start)


def replies_for(
    fake_url: str, database_url: str, offset: int, count: int, send_times: dict[int, float] | None = None
) -> Replies:
    numbers = [f"+3247{offset + i:07d}" for i in range(count)]
    wanted = set(numbers)
    arrivals: dict[str, list[float]] = {}
    for to, at in twilio_posts(fake_url):
        if to in wanted:
            arrivals.setdefault(to, []).append(at)
    with psycopg.connect(database_url) as conn:
        received = {
            number: float(created)
            for number, created in conn.execute(
                "SELECT phone_number, extract(epoch from created_at) FROM messaging_message"
                " WHERE direction = 'in' AND phone_number BETWEEN %s AND %s",
                (numbers[0], numbers[-1]),
            )
        }
    return Replies(
        once=sum(1 for n in numbers if len(arrivals.get(n, ())) == 1),
        missing=sum(1 for n in numbers if n not in arrivals),
        twice=sum(1 for n in numbers if len(arrivals.get(n, ())) > 1),
        delays=[arrivals[n][0] - received[n] for n in numbers if n in arrivals and n in received],
        from_sent=[arrivals[numbers[i]][0] - t for i, t in (send_times or {}).items() if numbers[i] in arrivals],
        arrived=sorted(times[0] for times in arrivals.values()),
    )


def per_message_ms(before: dict[str, float], after: dict[str, float], count: int) -> dict[str, float]:
    """CPU milliseconds per message by group (the machine as a whole left out)."""
    used: dict[str, float] = {}
    for key, seconds in after.items():
        if key == "machine":
            continue
        group = "PostgreSQL (this database)" if key.startswith("PostgreSQL ") else key
        used[group] = used.get(group, 0.0) + seconds - before.get(key, 0.0)
    return {group: round(seconds / max(count, 1) * 1000, 2) for group, seconds in used.items()}


def print_cpu(cpu: dict[str, float], concurrency: int, others: float) -> None:
    print(
        f"   worker CPU per reply: {cpu['worker']:.2f} ms (parent {cpu.get('worker parent', 0):.2f} ms,"
        f" {concurrency} pool processes {cpu['worker'] - cpu.get('worker parent', 0):.2f} ms);"
        " other processes per message: "
        + ", ".join(f"{group} {value:.2f} ms" for group, value in cpu.items() if not group.startswith("worker"))
        + f"\n   other work on the machine meanwhile: {others:.0f} % of one core"
        + (" (figures taken under load)" if others >= 20 else ""),
        flush=True,
    )


def burst_phase(
    args: argparse.Namespace,
    make: Callable[..., list[bytes]],
    results: dict[str, object],
    processes: dict[str, subprocess.Popen[bytes]],
    fake_url: str,
    postgres: PostgresBackends,
    rate: float,
    duration: float,
    offset: int,
) -> None:
    """Keywords at `rate` per second for `duration` seconds (open loop), the worker answering."""
    count = int(rate * duration)
    requests = make(count, "KRAMP", WEBHOOK, offset)
    after_id = last_message_id(args.database_url)
    cpu_before, began = stack_cpu_seconds(processes, postgres), time.time()
    run = asyncio.run(open_loop(requests, args.port, rate, duration))
    sent_until = time.time()
    wait_for_replies(args.database_url, after_id, count)
    cpu_after = stack_cpu_seconds(processes, postgres)
    cpu = per_message_ms(cpu_before, cpu_after, count)
    others = other_work(cpu_before, cpu_after, time.time() - began)
    replies = replies_for(fake_url, args.database_url, offset, count, run.send_times)
    # The worker's pace while the webhooks arrive (from its first reply): the offered rate
    # when it keeps up, its own capacity beside the web tier when it falls behind.
    pace = replies.rate_between(replies.arrived[0], sent_until) if replies.arrived else float("nan")
    all_answered = (replies.arrived[-1] - began) if replies.arrived else float("nan")
    results[f"burst_{rate:g}_per_s_for_{duration:g}_s"] = {
        "messages": count,
        "webhook_errors": run.errors,
        "webhook_p50_ms": round(percentile(run.latencies, 50) * 1000, 2),
        "webhook_p99_ms": round(percentile(run.latencies, 99) * 1000, 2),
        "answered_exactly_once": replies.once,
        "not_answered": replies.missing,
        "answered_more_than_once": replies.twice,
        **{f"received_to_twilio_p{p}_ms": round(percentile(replies.delays, p) * 1000, 1) for p in (50, 90, 99, 100)},
        **{f"client_send_to_twilio_p{p}_ms": round(percentile(replies.from_sent, p) * 1000, 1) for p in (50, 99)},
        "replies_per_s_while_sending": round(pace, 1),
        "seconds_until_all_answered": round(all_answered, 1),
        "worker_concurrency": args.worker_concurrency,
        "cpu_ms_per_message_by_process": cpu,
        "other_work_on_the_machine_percent_of_one_core": round(others),
    }
    print(
        f"5. burst of keywords at {rate:g}/s for {duration:g} s: {count} webhooks, {run.errors} errors,"
        f" webhook p50 {ms(percentile(run.latencies, 50))} p99 {ms(percentile(run.latencies, 99))}"
        f"\n   answered exactly once: {replies.once}/{count} (not answered {replies.missing},"
        f" more than once {replies.twice}); the last {all_answered:.1f} s after the first webhook;"
        f" {pace:.0f} replies/s while webhooks arrived"
        f"\n   webhook received -> Twilio request p50 {ms(percentile(replies.delays, 50))}"
        f"  p90 {ms(percentile(replies.delays, 90))}  p99 {ms(percentile(replies.delays, 99))}"
        f"  max {ms(max(replies.delays, default=0))}",
        flush=True,
    )
    print_cpu(cpu, args.worker_concurrency, others)


def drain_phase(
    args: argparse.Namespace,
    make: Callable[..., list[bytes]],
    results: dict[str, object],
    processes: dict[str, subprocess.Popen[bytes]],
    fake_url: str,
    postgres: PostgresBackends,
    offset: int,
) -> None:
    """The worker's own pace: a backlog queued while it is stopped, then answered as fast as it can."""
    count = args.drain
    requests = make(count, "KRAMP", WEBHOOK, offset)
    after_id = last_message_id(args.database_url)
    worker = psutil.Process(processes["worker"].pid)
    family = [worker, *worker.children(recursive=True)]
    for member in family:
        member.suspend()
    try:
        queued = asyncio.run(closed_loop(requests, args.port, args.concurrency, 3600))
    finally:
        time.sleep(1.0)  # the last tasks reach Redis
        cpu_before, resumed = stack_cpu_seconds(processes, postgres), time.time()
        for member in family:
            member.resume()
    wait_for_replies(args.database_url, after_id, count)
    cpu_after = stack_cpu_seconds(processes, postgres)
    cpu = per_message_ms(cpu_before, cpu_after, count)
    others = other_work(cpu_before, cpu_after, time.time() - resumed)
    replies = replies_for(fake_url, args.database_url, offset, count)
    took = (replies.arrived[-1] - resumed) if replies.arrived else float("nan")
    pace = len(replies.arrived) / took if took > 0 else float("nan")
    results["sustainable_reply_rate"] = {
        "messages": count,
        "webhooks_per_s_while_queueing": round(queued.rate, 1),
        "webhook_errors": queued.errors,
        "answered_exactly_once": replies.once,
        "not_answered": replies.missing,
        "answered_more_than_once": replies.twice,
        "seconds_to_answer_all": round(took, 2),
        "replies_per_s": round(pace, 1),
        "worker_concurrency": args.worker_concurrency,
        "cpu_ms_per_message_by_process": cpu,
        "other_work_on_the_machine_percent_of_one_core": round(others),
    }
    print(
        f"6. sustainable reply rate: {count} keywords queued with the worker stopped"
        f" ({queued.rate:.0f} webhooks/s, {queued.errors} errors), then answered in {took:.1f} s:"
        f" {pace:.0f} replies/s; exactly once {replies.once}/{count}"
        f" (not answered {replies.missing}, more than once {replies.twice})",
        flush=True,
    )
    print_cpu(cpu, args.worker_concurrency, others)


def burst_spec(text: str) -> tuple[float, float]:
    rate, _, seconds = text.partition(":")
    try:
        return float(rate), float(seconds)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected RATE:SECONDS such as 150:60, not {text!r}") from None


def main() -> int:
    parser = argparse.ArgumentParser(description="Webhook and keyword-reply benchmark on the real stack.")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/legcramps_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--fake-port", type=int, default=4011)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--concurrency", type=int, default=16, help="connections in the closed-loop phases")
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument(
        "--only",
        choices=["web", "replies", "burst"],
        help="run only phases 1-3 (web), 4 (replies) or 5-6 (burst: the bursts and the sustainable reply rate)",
    )
    parser.add_argument(
        "--burst",
        type=burst_spec,
        action="append",
        metavar="RATE:SECONDS",
        help="a burst of keywords (repeatable; default: 150:60 and 100:30)",
    )
    parser.add_argument(
        "--drain", type=int, default=6000, help="keywords queued while the worker is stopped (phase 6; 0: skip)"
    )
    args = parser.parse_args()
    args.burst = args.burst or [(150.0, 60.0), (100.0, 30.0)]

    fake_url = f"http://127.0.0.1:{args.fake_port}"
    environment = service_environment(args, fake_url)
    print(f"Resetting {args.database_url} and migrating...", flush=True)
    reset_database(args.database_url)
    redis.Redis.from_url(args.redis_url).flushdb()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=environment, check=True)

    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        processes["fake-twilio"] = start(
            "fake-twilio",
            [
                sys.executable,
                "-m",
                "tests.support.fake_twilio",
                "--port",
                str(args.fake_port),
                "--auth-token",
                AUTH_TOKEN,
            ],
            environment,
        )
        processes["gunicorn"] = start("gunicorn", [sys.executable, "-m", "gunicorn", "project.wsgi"], environment)
        wait_until(lambda: http_ok(f"{fake_url}/_fake/requests"), "the fake Twilio")
        wait_until(lambda: http_ok(f"http://127.0.0.1:{args.port}/health/"), "gunicorn")

        def make(count: int, body: str, path: str = WEBHOOK, offset: int = 0) -> list[bytes]:
            return [signed_request(path, inbound(offset + i, body), args.port) for i in range(count)]

        results: dict[str, object] = {"machine": machine(), "command": " ".join([sys.executable, *sys.argv])}
        if args.only in (None, "web"):
            web_phases(args, make, results, processes)
        if args.only != "web":
            start_worker(args, make, processes, environment, fake_url)
        if args.only in (None, "replies"):
            reply_phase(args, make, results, processes, fake_url)
        if args.only in (None, "burst"):
            postgres = PostgresBackends(urlsplit(args.database_url).path.lstrip("/"))
            for number, (rate, seconds) in enumerate(args.burst):
                offset = 6_000_000 + number * 500_000
                burst_phase(args, make, results, processes, fake_url, postgres, rate, seconds, offset=offset)
            if args.drain:
                drain_phase(args, make, results, processes, fake_url, postgres, offset=9_000_000)

        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / f"webhook-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
        out.write_text(json.dumps(results, indent=2))
        print(f"\nMachine: {results['machine']}\nCommand: {results['command']}\nWritten to {out.relative_to(ROOT)}")
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
