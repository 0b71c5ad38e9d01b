"""Benchmark: reminder calls on the real stack (PostgreSQL, Redis, the `twilio` client over HTTP).

    .venv/bin/python bench/reminder_calls.py        (needs PostgreSQL and Redis; see the README)

On a fresh PostgreSQL database, 10,000 contacts who chose reminder calls, all due in the same
minute:
1. claim: the tick writing one call row per occurrence (SELECT ... FOR UPDATE SKIP LOCKED
   over the due plans, the rows, the next occurrences), then a placer claiming all 10,000
   rows at once (SKIP LOCKED, pending -> sending), each timed;
2. no limit (VOICE_CALLS_PER_SECOND=0): every call placed through reminders.calls (checks,
   the attempt named on the row, `calls.create` through the real `twilio` client, the
   answer recorded), in calls per second measured at the stand-in;
3. the measured rate at VOICE_CALLS_PER_SECOND=1 (60 calls) and =10 (600 calls): the
   calls' arrival times at the stand-in, from the first to the last (target: within 5 %).

The placer runs in this process (one placer, as one Celery task would). The stand-in is a
lean asyncio server answering Calls.json like Twilio (201 with a call resource), so that it
does not take the CPU the service is measured on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
ACCOUNT_SID = "AC" + "0" * 32

# The lean Twilio stand-in, shared with the SMS reminder benchmark (it answers Calls.json too).
sys.path.insert(0, str(ROOT))
from bench.reminders import reset_stand_in, serve_twilio  # noqa: E402
from bench.reminders import stand_in_arrivals as arrivals  # noqa: E402


def environment(args: argparse.Namespace, twilio_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-secret",
        "SUPPRESSION_HMAC_KEY": "bench-suppression-key",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "PUBLIC_BASE_URL": "https://bench.example.org",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": "bench-auth-token",
        "TWILIO_FROM_NUMBER": "+3225550100",
        "TWILIO_API_BASE_URL": twilio_url,
        "VOICE_BACKEND": "twilio",
        "REMINDER_QUIET_HOURS": "00:00-00:00",  # the benchmark runs at any hour
        "LOG_LEVEL": "WARNING",
    }


def reset_database(url: str, env: dict[str, str]) -> None:
    parts = urlsplit(url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{parts.path.lstrip("/")}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True, env=env)


def add_callers(url: str, count: int) -> None:
    """`count` contacts who chose reminder calls, all due a minute ago."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM messaging_message")
        conn.execute("DELETE FROM reminders_reminderplan")
        conn.execute("DELETE FROM contacts_contact")
        conn.execute(
            """
            INSERT INTO contacts_contact (
                phone_number, language_id, time_zone, sms_opted_out, sms_opt_out_source, sms_undeliverable_reason,
                calls_opted_out, calls_opt_out_source, voice_undeliverable_reason, created_at, updated_at)
            SELECT '+3247' || lpad(n::text, 7, '0'), (ARRAY['nl', 'fr', 'de', 'en'])[1 + n %% 4],
                   'Europe/Brussels', false, '', '', false, '', '', now(), now()
            FROM generate_series(0, %(count)s - 1) AS n
            """,
            {"count": count},
        )
        conn.execute(
            """
            INSERT INTO reminders_reminderplan (contact_id, reminder_times, channel, next_reminder_at,
                                                next_reminder_slot)
            SELECT id, '["09:00", "13:00", "17:00"]'::jsonb, 'voice', now() - interval '1 minute',
                   to_char(now() AT TIME ZONE 'Europe/Brussels', 'YYYY-MM-DD"T"HH24:MI')
            FROM contacts_contact
            """
        )
        conn.execute("ANALYZE contacts_contact")
        conn.execute("ANALYZE reminders_reminderplan")


def machine() -> str:
    cores = os.cpu_count()
    return f"{platform.processor() or platform.machine()}, {cores} cores, Python {platform.python_version()}"


def place_all(limit: int | None = None) -> float:
    """Place waiting calls until none wait (or `limit` are placed); returns the seconds it took."""
    from reminders import calls

    started = time.perf_counter()
    placed = 0
    while limit is None or placed < limit:
        batch = calls.calls_place_batch()
        if not batch.claimed:
            break
        placed += batch.placed
    return time.perf_counter() - started


def measured_rate(url: str) -> tuple[int, float]:
    times = sorted(arrivals(url))
    if len(times) < 2:
        return len(times), 0.0
    return len(times), (len(times) - 1) / (times[-1] - times[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/legcramps_bench_calls")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--twilio-port", type=int, default=4041)
    parser.add_argument("--due", type=int, default=10_000, help="reminder calls due in the same minute")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of calls for each limited phase")
    parser.add_argument("--serve-twilio", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_twilio:
        serve_twilio(args.serve_twilio)
        return

    twilio_url = f"http://127.0.0.1:{args.twilio_port}"
    stand_in = subprocess.Popen([sys.executable, __file__, "--serve-twilio", str(args.twilio_port)])
    try:
        time.sleep(1.0)
        env = environment(args, twilio_url)
        reset_database(args.database_url, env)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection

        from messaging.models import Message
        from reminders import calls
        from reminders.scheduler import reminders_plan_due

        results: dict[str, object] = {"machine": machine(), "when": datetime.now(UTC).isoformat(), "due": args.due}
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()

        # 1. Claim.
        add_callers(args.database_url, args.due)
        started = time.perf_counter()
        planned = reminders_plan_due()
        results["tick_seconds"] = round(time.perf_counter() - started, 3)
        assert planned.pending == args.due, planned
        started = time.perf_counter()
        claimed = calls.calls_claim(limit=args.due)
        results["claim_seconds"] = round(time.perf_counter() - started, 3)
        assert len(claimed) == args.due
        Message.objects.filter(channel="voice").update(state="pending", attempts=0)
        print(
            f"claim: tick wrote {args.due} call rows in {results['tick_seconds']} s; "
            f"one placer claimed them all in {results['claim_seconds']} s",
            flush=True,
        )

        # 2. No limit.
        settings.VOICE_CALLS_PER_SECOND = 0.0
        reset_stand_in(twilio_url)
        seconds = place_all()
        count, rate = measured_rate(twilio_url)
        results["unlimited"] = {"calls": count, "seconds": round(seconds, 2), "calls_per_second": round(rate, 1)}
        print(f"no limit: {count} calls in {seconds:.1f} s, {rate:.1f} calls/s at the stand-in", flush=True)
        assert count == args.due, count

        # 3. Limited.
        for cps in (1.0, 10.0):
            calls_wanted = int(cps * args.seconds)
            add_callers(args.database_url, calls_wanted)
            reminders_plan_due()
            connection.close()
            settings.VOICE_CALLS_PER_SECOND = cps
            redis.Redis.from_url(args.redis_url).flushdb()
            reset_stand_in(twilio_url)
            seconds = place_all()
            count, rate = measured_rate(twilio_url)
            off = (rate - cps) / cps * 100
            results[f"limit_{cps:g}"] = {
                "calls": count,
                "calls_per_second": round(rate, 3),
                "off_percent": round(off, 2),
            }
            print(f"limit {cps:g}/s: {count} calls, {rate:.3f} calls/s measured ({off:+.2f} %)", flush=True)

        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / f"reminder_calls-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}.json"
        out.write_text(json.dumps(results, indent=2))
        print(f"results: {out}")
    finally:
        stand_in.terminate()
        stand_in.wait()


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
