# Sourced by ./run and ./test: make .venv with the project's requirements, on any machine
# that has Python 3.11 or 3.12 (the versions the embedded Redis wheel is built for).
# Reinstalls only when a requirements file changes.
set -euo pipefail

bootstrap() {
    local requirements="$1"
    local python="${PYTHON:-}"
    if [ -z "$python" ] && [ ! -x .venv/bin/python ]; then
        for candidate in python3.12 python3.11 python3; do
            if "$candidate" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 12) else 1)' \
                >/dev/null 2>&1; then
                python="$candidate"
                break
            fi
        done
    fi
    if [ -z "$python" ] && [ ! -x .venv/bin/python ]; then
        echo "Python 3.11 or 3.12 is needed (set PYTHON=/path/to/python)." >&2
        exit 1
    fi
    if [ ! -x .venv/bin/python ]; then
        echo "Creating .venv with $($python --version)..." >&2
        "$python" -m venv .venv
    fi
    local stamp=".venv/.installed-$(basename "$requirements")"
    local digest
    digest=$(cat requirements.txt "$requirements" | .venv/bin/python -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
        echo "Installing $requirements into .venv..." >&2
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
        echo "$digest" > "$stamp"
    fi
}
