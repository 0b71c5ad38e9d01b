"""CPU per keyword reply in the service's own code: the reply task's body in a loop, no Celery.

    .venv/bin/python bench/reply_cpu.py [--count 2000] [--profile 40]

Records 2 x --count inbound `KRAMP`s from new numbers (as the webhook does) in a fresh
PostgreSQL database, then runs the reply task (sms.tasks.process_inbound: understand,
answer, send) for each in this one process, against Redis and the Twilio stand-in
(tests/support/fake_twilio.py, in its own process). It prints this process's CPU time per
reply (time.process_time, so other work on the machine does not count) for the first half,
and with --profile N a cProfile of the second half, timed in CPU time, with its N most
expensive functions (cumulative; cProfile's own overhead inflates small functions).

What Celery adds around the task (the worker's parent, the pool's bookkeeping) is the
difference with bench/webhook.py's worker CPU per reply.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
import webhook


def main() -> int:
    parser = argparse.ArgumentParser(description="CPU per keyword reply, the reply task in a loop.")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/legcramps_bench_cpu")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--fake-port", type=int, default=4012)
    parser.add_argument("--count", type=int, default=2000, help="replies measured (and as many profiled)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N costliest functions")
    args = parser.parse_args()

    fake_url = f"http://127.0.0.1:{args.fake_port}"
    environment = webhook.service_environment(
        argparse.Namespace(database_url=args.database_url, redis_url=args.redis_url, port=0), fake_url
    )
    print(f"Resetting {args.database_url} and migrating...", flush=True)
    webhook.reset_database(args.database_url)
    redis.Redis.from_url(args.redis_url).flushdb()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=webhook.ROOT, env=environment, check=True)
    fake = webhook.start(
        "fake-twilio-cpu",
        [sys.executable, "-m", "tests.support.fake_twilio", "--port", str(args.fake_port)],
        environment,
    )
    try:
        webhook.wait_until(lambda: webhook.http_ok(f"{fake_url}/_fake/requests"), "the fake Twilio")
        os.environ.update(environment)
        import django

        django.setup()
        from messaging.models import Message
        from sms import services, tasks

        warm = 50
        total = warm + 2 * args.count
        ids = [services.inbound_sms_record(params=webhook.inbound(i, "KRAMP")).message.pk for i in range(total)]
        for message_id in ids[:warm]:
            tasks.process_inbound(message_id)

        measured = ids[warm : warm + args.count]
        cpu, wall = time.process_time(), time.perf_counter()
        for message_id in measured:
            tasks.process_inbound(message_id)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(
            f"reply task, {args.count} keywords: {cpu / args.count * 1000:.2f} ms CPU per reply"
            f" ({wall / args.count * 1000:.2f} ms wall, {args.count / wall:.0f} replies/s in one process)",
            flush=True,
        )

        profiled = ids[warm + args.count :]
        if args.profile:
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for message_id in profiled:
                tasks.process_inbound(message_id)
            profiler.disable()
            stats = pstats.Stats(profiler)
            print(f"\ncProfile (CPU time) of {len(profiled)} more replies:")
            stats.sort_stats("cumulative").print_stats(args.profile)
        else:
            for message_id in profiled:
                tasks.process_inbound(message_id)

        sent = Message.objects.filter(direction=Message.Direction.OUTBOUND, state=Message.State.SUBMITTED).count()
        print(f"{sent} of {total} replies accepted by the stand-in", flush=True)
    finally:
        fake.terminate()
        fake.wait(timeout=15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
