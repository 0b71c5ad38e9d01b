"""Benchmark: the phone menu's steps on the real web tier, 20 callers at once.

    .venv/bin/python bench/voice.py            (needs PostgreSQL and Redis; see the README)

A caller hears silence while the service thinks, so what counts is each step's latency.
Starts `gunicorn project.wsgi` (gunicorn.conf.py) on a fresh PostgreSQL database and a Redis
database of its own (the helpers of bench/webhook.py), then prints:

1. the ceiling: the same server answering a bare Django view (empty TwiML), --callers
   connections in a closed loop;
2. menu steps: --callers callers at once, each playing whole calls one after another over
   a keep-alive connection, every request signed as Twilio signs it: the call comes in
   (a new number: the language menu), French, topic 1, again, as a text message (queued to
   Redis; no worker runs), back, "magnésium" said, back, silence twice (goodbye), and the
   status callback. Steps answered per second, p50/p99 of every step and of each kind;
3. the same callers as people call: each listens --think seconds (on average; 2 s by
   default, far less than a prompt takes to say) before the next step.

Figures are for this machine only; they are printed with its description and the command,
and written to bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.webhook import (
    ACCOUNT_SID,
    CEILING,
    RESULTS,
    ROOT,
    Connection,
    closed_loop,
    http_ok,
    machine,
    ms,
    percentile,
    reset_database,
    service_environment,
    signed_request,
    start,
    summary,
    tree_rss_mb,
    wait_until,
)

OUR_NUMBER = "+3225550100"


def call_steps(number: int) -> list[tuple[str, str, dict[str, str]]]:
    """(kind, path with query, parameters) for one whole call, as Twilio would post them."""
    sid = f"CA{uuid.uuid4().hex}"
    caller = f"+3247{number:07d}"
    base = {
        "CallSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": caller,
        "To": OUR_NUMBER,
        "Caller": caller,
        "Called": OUR_NUMBER,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        "FromCountry": "BE",
    }

    def menu(n: int, **q: object) -> str:
        return "/twilio/voice/menu/?" + urlencode({"l": "fr", "n": n, **q})

    def topic(slug: str, n: int) -> str:
        return "/twilio/voice/topic/?" + urlencode({"l": "fr", "t": slug, "n": n})

    steps = [
        ("incoming", "/twilio/voice/", {"CallStatus": "ringing"}),
        ("language", "/twilio/voice/language/?n=1", {"Digits": "2"}),
        ("menu key", menu(2), {"Digits": "1"}),
        ("topic again", topic("cramp", 3), {"Digits": "1"}),
        ("text copy", topic("cramp", 4), {"Digits": "2"}),
        ("back", topic("cramp", 5), {"Digits": "0"}),
        ("menu words", menu(6), {"SpeechResult": "magnésium", "Confidence": "0.92"}),
        ("back", topic("magnesium", 7), {"Digits": "0"}),
        ("silence", menu(8, q=1), {}),
        ("goodbye", menu(9, q=2), {}),
        ("status", "/twilio/voice/status/", {"CallStatus": "completed", "CallDuration": "95"}),
    ]
    return [(kind, path, {**base, **extra}) for kind, path, extra in steps]


async def callers(
    port: int, count: int, duration: float, think: float = 0.0
) -> tuple[dict[str, list[float]], int, int, float]:
    """`count` callers, each playing whole calls back to back until `duration` is up.

    `think`: seconds each caller waits after an answer before the next step (listening to it);
    0 sends the next step at once (the most the web tier answers).
    """
    latencies: dict[str, list[float]] = defaultdict(list)
    errors = 0
    calls = 0
    numbers = iter(range(10**6))
    stop_at = time.perf_counter() + duration

    async def caller() -> None:
        nonlocal errors, calls
        if think:
            await asyncio.sleep(random.uniform(0, 2 * think))  # callers do not all call at the same instant
        conn = await Connection.open(port)
        while time.perf_counter() < stop_at:
            for kind, path, params in call_steps(next(numbers)):
                request = signed_request(path, params, port)
                started = time.perf_counter()
                try:
                    status, closed = await conn.roundtrip(request)
                except (OSError, asyncio.IncompleteReadError):
                    errors += 1
                    conn = await Connection.open(port)
                    continue
                latencies[kind].append(time.perf_counter() - started)
                if status >= 300:
                    errors += 1
                if closed:
                    conn.close()
                    conn = await Connection.open(port)
                if think:
                    await asyncio.sleep(think * random.uniform(0.5, 1.5))
            calls += 1
        conn.close()

    began = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(count)))
    return latencies, errors, calls, time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description="Phone-menu benchmark on the real web tier.")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/legcramps_bench_voice")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
    parser.add_argument("--callers", type=int, default=20, help="callers at once")
    parser.add_argument("--think", type=float, default=2.0, help="seconds a caller listens between steps (phase 3)")
    args = parser.parse_args()

    environment = service_environment(args, "http://127.0.0.1:9")  # no worker: Twilio's API is never called
    print(f"Resetting {args.database_url} and migrating...", flush=True)
    reset_database(args.database_url)
    redis.Redis.from_url(args.redis_url).flushdb()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=environment, check=True)

    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        processes["gunicorn"] = start("gunicorn", [sys.executable, "-m", "gunicorn", "project.wsgi"], environment)
        wait_until(lambda: http_ok(f"http://127.0.0.1:{args.port}/health/"), "gunicorn")
        results: dict[str, object] = {"machine": machine(), "command": " ".join([sys.executable, *sys.argv])}

        # Warm every process (imports, connections, the keyword index) before measuring.
        asyncio.run(callers(args.port, args.callers, 3.0))

        budget = int(3000 * args.duration)
        ceiling_requests = [signed_request(CEILING, {"n": str(i)}, args.port) for i in range(budget)]
        ceiling = asyncio.run(closed_loop(ceiling_requests, args.port, args.callers, args.duration))
        results["ceiling_bare_view"] = summary(ceiling)
        print(
            f"1. bare view (ceiling): {ceiling.rate:7.0f} req/s  p50 {ms(percentile(ceiling.latencies, 50))}"
            f"  p99 {ms(percentile(ceiling.latencies, 99))}  errors {ceiling.errors}",
            flush=True,
        )

        phases = [
            ("menu_steps_back_to_back", f"2. menu steps, {args.callers} callers, back to back:", 0.0),
            ("menu_steps_listening", f"3. menu steps, {args.callers} callers listening {args.think:g} s:", args.think),
        ]
        for key, label, think in phases:
            latencies, errors, calls, elapsed = asyncio.run(callers(args.port, args.callers, args.duration, think))
            every = [value for values in latencies.values() for value in values]
            results[key] = {
                "callers": args.callers,
                "think_s": think,
                "calls": calls,
                "steps": len(every),
                "errors": errors,
                "steps_per_s": round(len(every) / elapsed, 1),
                "p50_ms": round(percentile(every, 50) * 1000, 2),
                "p99_ms": round(percentile(every, 99) * 1000, 2),
                "by_step": {
                    kind: {
                        "p50_ms": round(percentile(values, 50) * 1000, 2),
                        "p99_ms": round(percentile(values, 99) * 1000, 2),
                    }
                    for kind, values in latencies.items()
                },
            }
            print(
                f"{label} {len(every) / elapsed:5.0f} steps/s  p50 {ms(percentile(every, 50))}"
                f"  p99 {ms(percentile(every, 99))}  errors {errors}  ({calls} calls)",
                flush=True,
            )
            for kind, values in latencies.items():
                print(f"   {kind:12} p50 {ms(percentile(values, 50)):>9}  p99 {ms(percentile(values, 99)):>9}")
        results["gunicorn_rss_mb"] = round(tree_rss_mb(processes["gunicorn"]), 1)

        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / f"voice-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
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
