#!/usr/bin/env bash
# Starts the server exactly as the README says (npm start, embedded defaults), checks that it
# answers /health, /docs and /api/auth/login, then stops it with SIGTERM and expects a clean exit.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
PORT=$port DATA_DIR=$data LOG_LEVEL=warn npm start >"$data/server.log" 2>&1 &
pid=$!
cleanup () { kill "$pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/health"; echo
curl -fsS -o /dev/null "http://127.0.0.1:$port/docs/"
curl -fsS "http://127.0.0.1:$port/docs/json" | grep -q '"openapi"'
curl -fsS -X POST "http://127.0.0.1:$port/api/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"change-me"}' | grep -q access_token
# npm start wraps node; signal the server process itself.
server_pid=$(pgrep -P "$pid" -f 'dist/src/server.js' || pgrep -f "dist/src/server.js" | head -1)
kill -TERM "$server_pid"
for _ in $(seq 1 40); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.25; done
if kill -0 "$server_pid" 2>/dev/null; then echo "server did not stop on SIGTERM"; exit 1; fi
grep -q '"level":50' "$data/server.log" && { echo "errors were logged:"; cat "$data/server.log"; exit 1; }
echo "smoke ok"
