"""Benchmark: the dashboard on a 1,000,000-contact PostgreSQL database with 90 days of messages.

    .venv/bin/python bench/dashboard.py          (needs PostgreSQL on 127.0.0.1:5432; see the README)

It recreates the database `legcramps_bench_dashboard` (Redis database 8 is named in the
environment; nothing is queued), inserts 1,000,000 contacts (300,000 with reminder plans on
a few sets of times) and --messages messages spread over 90 days (replies by topic and
language, reminders, Twilio statuses and error codes, calls, texts not understood) with
`INSERT ... SELECT generate_series`, then:
1. counts the 90 days (`dashboard_backfill`) and times a day's count and the beat task's
   refresh (today and yesterday);
2. times each chart's query over 90 days (median of 7), with one query's plan;
3. times the not-understood list (30 days) and the 24-hour reminder forecast.
`--reuse` keeps a database built by an earlier run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

# bench/reminders.py builds its databases the same way: reuse its helpers (not a package).
_spec = importlib.util.spec_from_file_location("bench_reminders", ROOT / "bench" / "reminders.py")
assert _spec and _spec.loader
bench_reminders = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_reminders)

GIBBERISH = [
    "hallo",
    "wat is dit",
    "bonjour",
    "ok merci",
    "danke",
    "thanks",
    "?",
    "wie ben jij",
    "j ai mal au dos",
    "Schmerzen im Knie",
    "pijn in mijn voet",
    "restless legs",
    "crampe au pied la nuit",
    "nachtelijke kuitpijn",
    "is dit gratis",
    "stopp bitte",
    "who is this",
    "spasme",
    "krampen in de hand",
    "Muskelzucken",
]


def build(url: str, *, contacts: int, plans: int, messages: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute(
            """
            INSERT INTO contacts_contact (
                phone_number, language_id, time_zone, sms_opted_out, sms_opted_out_at, sms_opt_out_source,
                sms_undeliverable_reason, calls_opted_out, calls_opt_out_source, voice_undeliverable_reason,
                created_at, updated_at)
            SELECT '+3247' || lpad(n::text, 7, '0'),
                   (ARRAY['nl', 'fr', 'de', 'en'])[1 + n %% 4],
                   CASE WHEN n %% 10 = 0 THEN 'Europe/Brussels' ELSE '' END,
                   n %% 50 = 0,
                   CASE WHEN n %% 50 = 0 THEN now() - (n %% 90) * interval '1 day' END,
                   CASE WHEN n %% 50 = 0 THEN 'keyword' ELSE '' END,
                   '', false, '', '',
                   now() - (n %% 90) * interval '1 day' - (n * 7919 %% 86400) * interval '1 second', now()
            FROM generate_series(0::bigint, %(contacts)s - 1) AS n
            """,
            {"contacts": contacts},
        )
        print(f"  {contacts:,} contacts in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        # A few sets of times (most people keep the default); the next occurrence of the first
        # time, in Brussels: enough for the forecast's grouping, which is what is measured.
        conn.execute(
            """
            INSERT INTO reminders_reminderplan (contact_id, reminder_times, next_reminder_at, next_reminder_slot)
            SELECT id, times,
                   CASE WHEN (current_date + first::time) AT TIME ZONE 'Europe/Brussels' > now()
                        THEN (current_date + first::time) AT TIME ZONE 'Europe/Brussels'
                        ELSE (current_date + 1 + first::time) AT TIME ZONE 'Europe/Brussels' END,
                   ''
            FROM (
                SELECT id,
                       (ARRAY['["09:00", "13:00", "17:00"]', '["09:00", "13:00", "17:00"]', '["08:00", "20:00"]',
                              '["07:30"]', '["12:00", "18:30"]', '["09:00", "13:00", "17:00"]'])[1 + id %% 6]::jsonb
                           AS times,
                       (ARRAY['09:00', '09:00', '08:00', '07:30', '12:00', '09:00'])[1 + id %% 6] AS first
                FROM contacts_contact ORDER BY id LIMIT %(plans)s
            ) AS chosen
            """,
            {"plans": plans},
        )
        print(f"  {plans:,} reminder plans in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        topics = [row[0] for row in conn.execute("SELECT id FROM advice_topic WHERE kind = 'advice' ORDER BY id")]
        conn.execute(
            """
            INSERT INTO messaging_message (
                direction, channel, purpose, contact_id, phone_number, service_number, body, language, topic_id,
                state, note, provider_sid, provider_status, error_code, error_message, encoding, segments, params,
                slot, attempts, uncertain, created_at, updated_at)
            SELECT
                CASE WHEN kind < 40 THEN 'in' ELSE 'out' END,
                CASE WHEN kind < 2 OR kind BETWEEN 95 AND 96 THEN 'voice' ELSE 'sms' END,
                CASE WHEN kind < 40 THEN '' WHEN kind < 80 THEN 'reply' ELSE 'reminder' END,
                1 + n %% %(contacts)s,
                '+3247' || lpad((n %% %(contacts)s)::text, 7, '0'),
                '+3225550100',
                CASE WHEN kind < 40 AND kind %% 12 = 5 THEN (%(words)s::text[])[1 + (n / 100) %% %(word_count)s]
                     WHEN kind < 40 THEN 'KRAMP' ELSE 'Tekst' END,
                (ARRAY['nl', 'fr', 'de', 'en'])[1 + n %% 4],
                CASE WHEN kind >= 40 THEN (%(topics)s::bigint[])[1 + n %% %(topic_count)s] END,
                CASE WHEN kind < 40 THEN 'handled' WHEN kind = 99 THEN 'failed' ELSE 'submitted' END,
                CASE WHEN kind < 40 AND kind %% 12 = 5 THEN 'not understood: menu'
                     WHEN kind < 40 THEN 'KRAMP [nl]: cramp' ELSE '' END,
                CASE WHEN kind >= 40 AND kind <> 99 THEN 'SM' || md5(n::text) END,
                CASE WHEN kind < 40 OR kind = 99 THEN '' WHEN kind = 97 THEN 'undelivered' WHEN kind = 98 THEN 'failed'
                     ELSE 'delivered' END,
                CASE WHEN kind = 97 THEN 30006 WHEN kind = 98 THEN 21610 WHEN kind = 99 THEN 30007 END,
                '', 'GSM', CASE WHEN kind >= 40 THEN 1 + n %% 3 END, '{}'::jsonb,
                CASE WHEN kind >= 80 THEN lpad(n::text, 16, '0') ELSE '' END, 1, false,
                at, at
            FROM (
                SELECT n, (n * 37) %% 100 AS kind,
                       now() - (n %% 90) * interval '1 day' - ((n * 7919) %% 86400) * interval '1 second' AS at
                FROM generate_series(0::bigint, %(messages)s - 1) AS n
            ) AS spread
            ORDER BY at  -- rows in the order they arrive, as the service writes them
            """,
            {
                "contacts": contacts,
                "messages": messages,
                "words": GIBBERISH,
                "word_count": len(GIBBERISH),
                "topics": topics,
                "topic_count": len(topics),
            },
        )
        print(f"  {messages:,} messages over 90 days in {time.perf_counter() - started:.1f} s")
        for table in ("contacts_contact", "reminders_reminderplan", "messaging_message"):
            conn.execute(f"VACUUM ANALYZE {table}")


def timed(label: str, function: Callable[[], Any], results: dict[str, float], runs: int = 7) -> Any:
    timings = []
    value = None
    for _ in range(runs):
        started = time.perf_counter()
        value = function()
        timings.append((time.perf_counter() - started) * 1000)
    results[label] = round(statistics.median(timings), 1)
    print(f"  {label}: {results[label]} ms (median of {runs}, max {max(timings):.1f})")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/legcramps_bench_dashboard")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--plans", type=int, default=300_000)
    parser.add_argument("--messages", type=int, default=3_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    args = parser.parse_args()

    env = bench_reminders.environment(args, "http://127.0.0.1:9")
    os.environ.update(env)
    results: dict[str, Any] = {
        "machine": bench_reminders.machine(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "started": str(datetime.now(UTC)),
        "contacts": args.contacts,
        "plans": args.plans,
        "messages": args.messages,
    }
    print(f"Machine: {results['machine']}")
    print(f"Command: {results['command']}")
    if not args.reuse:
        print("Building the database")
        bench_reminders.reset_database(args.database_url)
        build(args.database_url, contacts=args.contacts, plans=args.plans, messages=args.messages)
    bench_reminders.setup_django(env)
    if args.reuse:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)

    from django.db import connection

    from dashboard import forecast, selectors, services
    from dashboard.models import DailyCount

    timings: dict[str, float] = {}
    print("1. Counting")
    today = services.local_today()
    started = time.perf_counter()
    services.daily_counts_backfill(first=today - timedelta(days=89), last=today, force=True)
    results["backfill_90_days_s"] = round(time.perf_counter() - started, 1)
    print(f"  backfill of 90 days: {results['backfill_90_days_s']} s ({DailyCount.objects.count():,} rows)")
    timed("one day counted", lambda: services.daily_counts_compute(day=today - timedelta(days=3)), timings, runs=3)
    timed("beat task (today and yesterday)", services.daily_counts_refresh, timings, runs=3)

    print("2. Each chart's query, 90 days")
    period = selectors.Period(today - timedelta(days=89), today)
    for name in ("messages", "replies", "outcomes", "people", "subscribers", "costs"):
        timed(f"chart {name}", lambda name=name: getattr(selectors, f"chart_{name}")(period), timings)
    query = DailyCount.objects.filter(metric="messages", day__gte=period.first, day__lte=period.last)
    with connection.cursor() as cursor:
        sql, params = query.query.sql_with_params()
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    results["chart_plan"] = plan
    print("  plan:\n    " + plan.replace("\n", "\n    "))

    print("3. Not understood (30 days) and the forecast (24 hours)")
    recent = selectors.Period(today - timedelta(days=29), today)
    groups = timed("not understood, 30 days", lambda: selectors.not_understood(recent), timings)
    print(f"  {len(groups)} groups, {sum(g.count for g in groups):,} texts read")
    found = timed("reminder forecast, 24 hours", forecast.reminder_forecast, timings, runs=3)
    for channel, channel_forecast in found.items():
        print(
            f"  {channel}: {channel_forecast.total:,} due, {len(channel_forecast.minutes_over())} minute(s) over "
            f"capacity, {channel_forecast.missed:,} would be missed"
        )
    results["timings_ms"] = timings
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"dashboard-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"Results: {out}")


if __name__ == "__main__":
    main()
