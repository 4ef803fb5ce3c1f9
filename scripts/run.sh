#!/usr/bin/env bash
# Serves Proofwork locally: the web app, a Celery worker and beat. Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
PORT=${PORT:-8000}
export DEBUG=${DEBUG:-1}
mkdir -p var/celery/queue var/celery/processed var/celery/control var/media

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping Proofwork…"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

"$BIN/celery" -A marketplace worker --beat --loglevel=WARNING --concurrency=2 \
  --schedule=var/celery/beat-schedule >var/celery/worker.log 2>&1 &
pids+=($!)

cat <<INFO

  Proofwork is running at http://127.0.0.1:${PORT}/

  Demo logins (password: proofwork-demo)
    client@example.com       hires
    freelancer@example.com   works
    moderator@example.com    staff; two-factor secret below

$("$BIN/python" manage.py seed_demo --print-moderator-secret)

  Emails are printed in this terminal. Worker log: var/celery/worker.log
  Press Ctrl-C to stop.

INFO

"$BIN/python" manage.py runserver "127.0.0.1:${PORT}" &
pids+=($!)
wait -n "${pids[@]}"
