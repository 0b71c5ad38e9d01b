"""Benchmark: the reminder scheduler and bulk senders on the real stack (PostgreSQL, Redis, Celery).

    .venv/bin/python bench/reminders.py            (needs PostgreSQL and Redis; see the README)

Phases, each on a fresh PostgreSQL database:
1. selection at scale: 1,000,000 contacts of whom 10,000 are due; the tick's selection
   query (SELECT ... ORDER BY next_reminder_at FOR UPDATE SKIP LOCKED over the partial index),
   timed for all 10,000 due rows, with its plan; then the same with 100,000 contacts, to
   show that the cost follows the number due, not the total; then one full planning tick;
2. a wave: 100,000 contacts due in the same minute: the time to select and claim them
   (planning: one message row each), then `celery -A project worker -c 2` sending them with
   no rate limit to a local Twilio stand-in (the real `twilio` client over HTTP), in msgs/s
   measured at the stand-in, with the worker's peak memory;
3. the same at SMS_RATE_LIMIT_PER_SECOND=50: the rate measured at the stand-in.

The stand-in here is a lean asyncio server answering like Twilio (201 with a message
resource), so that it does not take the CPU the service is measured on; the tests'
stand-in validates every request against Twilio's OpenAPI spec instead.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
ACCOUNT_SID = "AC" + "0" * 32
WORKER = ["celery", "-A", "project", "worker", "-l", "warning", "-c", "2", "--without-gossip", "--without-mingle"]


# --- The lean Twilio stand-in ----------------------------------------------------------------


def serve_twilio(port: int) -> None:
    arrivals: list[float] = []
    counter = itertools.count(1)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length) if length else b""
                if head.startswith(b"GET /_stats"):
                    payload = json.dumps({"arrivals": arrivals}).encode()
                    status = b"200 OK"
                elif head.startswith(b"POST /_reset"):
                    arrivals.clear()
                    payload, status = b"{}", b"200 OK"
                elif head.startswith(b"POST ") and b"/Calls.json" in head and b"Url=" in body:
                    # A call placed (bench/reminder_calls.py): accepted, never played.
                    arrivals.append(time.time())
                    sid = f"CA{next(counter):032x}"
                    payload = json.dumps({"sid": sid, "status": "queued", "account_sid": ACCOUNT_SID}).encode()
                    status = b"201 Created"
                elif head.startswith(b"POST ") and b"To=" in body and b"Body=" in body:
                    arrivals.append(time.time())
                    sid = f"SM{next(counter):032x}"
                    payload = json.dumps(
                        {"sid": sid, "status": "queued", "account_sid": ACCOUNT_SID, "num_segments": "1"}
                    ).encode()
                    status = b"201 Created"
                else:
                    payload, status = b'{"code": 21602, "message": "Message body is required."}', b"400 Bad Request"
                writer.write(
                    b"HTTP/1.1 "
                    + status
                    + b"\r\nContent-Type: application/json\r\nContent-Length: "
                    + str(len(payload)).encode()
                    + b"\r\n\r\n"
                    + payload
                )
        except (asyncio.IncompleteReadError, ConnectionResetError):
            pass
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def stand_in_arrivals(url: str) -> list[float]:
    with urllib.request.urlopen(f"{url}/_stats", timeout=30) as response:
        return list(json.loads(response.read())["arrivals"])


def reset_stand_in(url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{url}/_reset", data=b"", method="POST"), timeout=5).read()


# --- Environment ------------------------------------------------------------------------------


def environment(args: argparse.Namespace, twilio_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-secret",
        "SUPPRESSION_HMAC_KEY": "bench-suppression-key",
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # the benchmark speaks plain http to gunicorn
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "PUBLIC_BASE_URL": "https://bench.example.org",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": "bench-auth-token",
        "TWILIO_FROM_NUMBER": "+3225550100",
        "TWILIO_API_BASE_URL": twilio_url,
        "REMINDER_QUIET_HOURS": "00:00-00:00",  # the benchmark runs at any hour
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def reset_database(url: str) -> None:
    parts = urlsplit(url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{parts.path.lstrip("/")}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)


def add_contacts(url: str, total: int, due: int) -> None:
    """`total` contacts with reminder plans; `due` of them due a minute ago, the rest later today."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """
            INSERT INTO contacts_contact (
                phone_number, language_id, time_zone, sms_opted_out, sms_opt_out_source, sms_undeliverable_reason,
                calls_opted_out, calls_opt_out_source, voice_undeliverable_reason, created_at, updated_at)
            SELECT '+3247' || lpad(n::text, 7, '0'),
                   (ARRAY['nl', 'fr', 'de', 'en'])[1 + n %% 4],
                   'Europe/Brussels', false, '', '', false, '', '', now(), now()
            FROM generate_series(0, %(total)s - 1) AS n
            """,
            {"total": total},
        )
        conn.execute(
            """
            INSERT INTO reminders_reminderplan (
                contact_id, reminder_times, next_reminder_at, next_reminder_slot)
            SELECT id, '["09:00", "13:00", "17:00"]'::jsonb,
                   CASE WHEN n < %(due)s THEN now() - interval '1 minute'
                        ELSE now() + interval '1 hour' + (n %% 43200) * interval '1 second' END,
                   to_char(now() AT TIME ZONE 'Europe/Brussels', 'YYYY-MM-DD"T"HH24:MI')
            FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM contacts_contact) AS numbered
            """,
            {"due": due},
        )
        conn.execute("ANALYZE contacts_contact")
        conn.execute("ANALYZE reminders_reminderplan")


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores of {cpu}, {memory:.1f} GB, Python {platform.python_version()}"


# --- Phases -------------------------------------------------------------------------------------


def time_selection(due: int) -> tuple[float, str]:
    """Median ms of the tick's selection of all due rows (locked, then rolled back), and its plan."""
    from django.db import connection, transaction
    from django.utils import timezone

    from reminders.scheduler import due_plans

    timings = []
    for _ in range(7):
        with transaction.atomic():
            started = time.perf_counter()
            rows = due_plans(timezone.now(), limit=due)
            timings.append((time.perf_counter() - started) * 1000)
            assert len(rows) == due, len(rows)
            transaction.set_rollback(True)
    from reminders.models import ReminderPlan

    query = ReminderPlan.objects.filter(next_reminder_at__lte=timezone.now()).order_by("next_reminder_at")[:due]
    with connection.cursor() as cursor:
        sql, params = query.query.sql_with_params()
        cursor.execute(
            "EXPLAIN (ANALYZE, COSTS OFF) " + sql + " FOR UPDATE OF reminders_reminderplan SKIP LOCKED", params
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return statistics.median(timings), plan


def phase_selection(args: argparse.Namespace, env: dict[str, str]) -> dict[str, object]:
    from django.db import connections

    results: dict[str, object] = {}
    for total in (1_000_000, 100_000):
        connections.close_all()
        reset_database(args.database_url)
        started = time.perf_counter()
        add_contacts(args.database_url, total, 10_000)
        print(f"  {total:,} contacts inserted in {time.perf_counter() - started:.1f} s")
        ms, plan = time_selection(10_000)
        results[f"select_10k_due_of_{total}_ms"] = round(ms, 1)
        print(f"  selection of 10,000 due among {total:,}: {ms:.1f} ms (median of 7)")
        if total == 1_000_000:
            print("  plan:\n    " + plan.replace("\n", "\n    "))
            results["plan"] = plan
            from reminders.scheduler import reminders_plan_due

            started = time.perf_counter()
            planned = reminders_plan_due()
            seconds = time.perf_counter() - started
            results["plan_10k_due_of_1m_s"] = round(seconds, 2)
            print(f"  one tick planning all 10,000 due (claim + a message row each): {seconds:.2f} s")
            assert planned.pending == 10_000, planned
    return results


def watch_memory(process: subprocess.Popen[bytes], peak: list[float], stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            parent = psutil.Process(process.pid)
            rss = sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / 2**20
            peak[0] = max(peak[0], rss)
        except psutil.Error:
            pass
        time.sleep(0.2)


def phase_wave(
    args: argparse.Namespace, twilio_url: str, *, count: int, rate: float, senders: int
) -> dict[str, object]:
    from django.db import connections

    from reminders.scheduler import reminders_plan_due

    connections.close_all()
    reset_database(args.database_url)
    add_contacts(args.database_url, count, count)
    reset_stand_in(twilio_url)
    import redis

    client = redis.Redis.from_url(args.redis_url)
    client.flushdb()

    started = time.perf_counter()
    planned = reminders_plan_due()
    claim_seconds = time.perf_counter() - started
    print(
        f"  selected and claimed {planned.contacts:,} due contacts into {planned.pending:,} rows: "
        f"{claim_seconds:.2f} s ({planned.contacts / claim_seconds:,.0f}/s)"
    )

    env = environment(
        args,
        twilio_url,
        SMS_RATE_LIMIT_PER_SECOND=str(rate),
        SMS_BULK_SENDERS=str(senders),
        REMINDER_TICK_SECONDS="60",
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = (RESULTS / "reminder-worker.log").open("wb")
    worker = subprocess.Popen([sys.executable, "-m", *WORKER], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    peak = [0.0]
    stop = threading.Event()
    threading.Thread(target=watch_memory, args=(worker, peak, stop), daemon=True).start()
    try:
        time.sleep(4)  # the worker starts
        from messaging.tasks import start_bulk_senders

        start_bulk_senders()
        deadline = time.monotonic() + max(120.0, count / max(rate, 200) * 3)
        while time.monotonic() < deadline:
            arrivals = stand_in_arrivals(twilio_url)
            if len(arrivals) >= planned.pending:
                break
            time.sleep(1.0)
    finally:
        stop.set()
        worker.terminate()
        worker.wait(timeout=30)
    arrivals = sorted(stand_in_arrivals(twilio_url))
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    measured = (len(arrivals) - 1) / span if span else 0.0
    result = {
        "count": count,
        "rate_limit": rate,
        "claim_seconds": round(claim_seconds, 2),
        "sent": len(arrivals),
        "send_seconds": round(span, 2),
        "messages_per_second": round(measured, 1),
        "worker_peak_rss_mb": round(peak[0], 1),
    }
    if rate:
        steady = arrivals[len(arrivals) // 10 :]
        steady_rate = (len(steady) - 1) / (steady[-1] - steady[0])
        result["steady_messages_per_second"] = round(steady_rate, 2)
        result["deviation_percent"] = round((measured - rate) / rate * 100, 2)
    print("  " + ", ".join(f"{k} {v}" for k, v in result.items()))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/legcramps_bench_reminders")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--twilio-port", type=int, default=4031)
    parser.add_argument("--wave", type=int, default=100_000, help="contacts due in the same minute")
    parser.add_argument("--limited", type=int, default=3_000, help="messages for the rate-limited phase")
    parser.add_argument("--only", choices=["selection", "wave", "limited"])
    parser.add_argument("--serve-twilio", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_twilio:
        serve_twilio(args.serve_twilio)
        return

    twilio_url = f"http://127.0.0.1:{args.twilio_port}"
    env = environment(args, twilio_url)
    stand_in = subprocess.Popen([sys.executable, __file__, "--serve-twilio", str(args.twilio_port)], cwd=ROOT)
    results: dict[str, object] = {
        "machine": machine(),
        "command": " ".join(sys.argv),
        "started": str(datetime.now(UTC)),
    }
    print(f"Machine: {results['machine']}")
    print(f"Command: {results['command']}")
    try:
        setup_django(env)
        time.sleep(1)
        if args.only in (None, "selection"):
            print("1. Selection at scale")
            results["selection"] = phase_selection(args, env)
        if args.only in (None, "wave"):
            print(f"2. {args.wave:,} due in the same minute, no rate limit")
            results["wave"] = phase_wave(args, twilio_url, count=args.wave, rate=0.0, senders=2)
        if args.only in (None, "limited"):
            print(f"3. {args.limited:,} due, SMS_RATE_LIMIT_PER_SECOND=50")
            results["limited"] = phase_wave(args, twilio_url, count=args.limited, rate=50.0, senders=2)
    finally:
        stand_in.terminate()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"reminders-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"Results: {out}")


if __name__ == "__main__":
    main()
