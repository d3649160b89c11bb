#!/usr/bin/env bash
# The wheel as a user gets it: build it, install it (not editable) into a clean
# virtualenv, and from a directory outside the source tree (so nothing is
# imported from the checkout) run `ncert init`, start `ncert serve` on a free
# port, ask /healthz and the login page, and stop the server.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d)"
SERVER=""
cleanup() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --disable-pip-version-check -q --upgrade pip
"$WORK/venv/bin/pip" wheel --disable-pip-version-check -q --no-deps -w "$WORK/dist" "$SRC"
"$WORK/venv/bin/pip" install --disable-pip-version-check -q "$WORK"/dist/ncert-*.whl

cd "$WORK"
export NCERT_DATA_DIR="$WORK/data"
unset NCERT_DATABASE_URL NCERT_PLAYBOOKS_DIR
"$WORK/venv/bin/python" - "$WORK/venv" <<'PY'
import sys, ncert, playbooks
for module in (ncert, playbooks):
    assert module.__file__.startswith(sys.argv[1]), f"{module.__name__} imported from {module.__file__}"
PY
"$WORK/venv/bin/ncert" init

PORT="$("$WORK/venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$WORK/venv/bin/ncert" serve --port "$PORT" --no-scheduler >"$WORK/serve.log" 2>&1 &
SERVER=$!
"$WORK/venv/bin/python" - "http://127.0.0.1:$PORT" "$SERVER" <<'PY' || { cat "$WORK/serve.log"; exit 1; }
import json, os, sys, time, urllib.error, urllib.request
base, pid = sys.argv[1], int(sys.argv[2])
for _ in range(120):  # wait for the port, or for the server to die
    os.kill(pid, 0)
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
            health = json.load(response)
        break
    except (urllib.error.URLError, ConnectionError):
        time.sleep(0.5)
else:
    sys.exit("ncert serve never answered /healthz")
assert health == {"status": "ok", "checks": {"database": "ok"}}, health
with urllib.request.urlopen(f"{base}/login", timeout=5) as response:
    page = response.read().decode()
assert response.status == 200 and "<form" in page, page[:200]
with urllib.request.urlopen(f"{base}/login?lang=az", timeout=5) as response:
    page = response.read().decode()
assert '<html lang="az">' in page and "Daxil ol" in page, page[:400]  # the shipped catalogue, not the English
print(f"wheel smoke: ncert init, /healthz {health['status']}, login page served, in Azerbaijani too")
PY
