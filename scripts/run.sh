#!/usr/bin/env bash
# Serves Proofwork locally: the web app, a Celery worker and beat. Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
PORT=${PORT:-8000}
export DEBUG=${DEBUG:-1}
# Links in emails point at this server, whatever port it runs on.
export SITE_URL=${SITE_URL:-http://127.0.0.1:${PORT}}
# Every email (sign-up confirmations and notifications alike, sent by the worker) is one readable
# file in var/mail/, unless EMAIL_URL says otherwise.
export EMAIL_URL=${EMAIL_URL:-file://}
export EMAIL_FILE_PATH=${EMAIL_FILE_PATH:-var/mail}
mkdir -p var/celery/queue var/celery/processed var/celery/control var/media var/mail

pids=()
# Stops the web server and the worker; a signal while stopping is ignored, so the worker's warm
# shutdown is not cut short.
stop_children() {
  trap '' INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # The worker finishes the task in hand (a warm shutdown); after 5 seconds it is stopped cold.
  for _ in $(seq 1 10); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -QUIT "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
# Ctrl-C (or a TERM, as make passes on) is the way to stop: it ends with status 0, so neither this
# script nor make reports an error.
on_stop_signal() {
  trap - EXIT
  echo
  echo "Stopping Proofwork…"
  stop_children
  echo "Stopped."
  exit 0
}
trap on_stop_signal INT TERM
# Any other end (a step failed, the server or the worker exited) stops the rest and keeps its status.
trap stop_children EXIT

# One process applies pending migrations (none on a second start), seeds the demo data (already
# there: a few queries) and prints the logins.
"$BIN/python" manage.py seed_demo --migrate

if [ "$EMAIL_URL" = "file://" ]; then
  mail_note="Emails (sign-up links, notifications): one file each in ${EMAIL_FILE_PATH}/; the newest: ls -t ${EMAIL_FILE_PATH}/* | head -1"
else
  mail_note="Emails go out through ${EMAIL_URL%%:*} (EMAIL_URL)."
fi
cat <<INFO

  Proofwork is running at http://127.0.0.1:${PORT}/

  ${mail_note}
  Worker log: var/celery/worker.log
  Press Ctrl-C to stop.

INFO

"$BIN/python" manage.py runserver "127.0.0.1:${PORT}" &
pids+=($!)

# The worker (all queues, and beat) starts once the web server answers, so the first page does not
# compete with it for the CPU; after 15 seconds it starts anyway.
(
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/${PORT}") 2>/dev/null && break
    sleep 0.1
  done
  exec "$BIN/celery" -A config worker --beat --loglevel=WARNING --concurrency=2 --queues=default,email,money \
    --schedule=var/celery/beat-schedule >var/celery/worker.log 2>&1
) &
pids+=($!)
wait -n "${pids[@]}"
