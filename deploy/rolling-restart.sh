#!/usr/bin/env bash
# Restarts StreamingChat instances one at a time, each only after the one before is ready again, so the service keeps
# answering throughout (nginx sends questions to the instances that are up).
#
#   deploy/rolling-restart.sh [--ports "5001 5002"] [--restart "systemctl restart streamingchat@{port}"]
#                             [--host 127.0.0.1] [--ready-timeout 120] [--settle 3]
#
# For each port: runs the restart command ({port} replaced), which must return once the old process has drained and
# exited and the new one is started (systemctl restart does: it sends SIGTERM and waits up to TimeoutStopSec); then
# waits until GET /healthz/ready answers 200 (its dependencies answer); then waits --settle seconds, so the new process
# has warmed up before the next one goes. Exits 1, leaving the remaining instances alone, when an instance does not
# come back ready.
set -euo pipefail

ports="5001 5002"
restart="systemctl restart streamingchat@{port}"
host="127.0.0.1"
ready_timeout=120
settle=3

while (($#)); do
  case "$1" in
    --ports) ports="$2"; shift 2 ;;
    --restart) restart="$2"; shift 2 ;;
    --host) host="$2"; shift 2 ;;
    --ready-timeout) ready_timeout="$2"; shift 2 ;;
    --settle) settle="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "Unknown argument: $1" >&2; exit 2 ;;
  esac
done

ready() { curl -fs -o /dev/null --max-time 2 "http://$host:$1/healthz/ready"; }

for port in $ports; do
  if ! ready "$port"; then
    echo "Instance $port is not ready before its restart; stopping here." >&2
    exit 1
  fi
done

for port in $ports; do
  started=$(date +%s)
  echo "[$(date -u +%H:%M:%S)] restarting instance $port"
  bash -c "${restart//\{port\}/$port}"
  until ready "$port"; do
    if (( $(date +%s) - started > ready_timeout )); then
      echo "Instance $port was not ready within ${ready_timeout}s; the remaining instances were not restarted." >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "[$(date -u +%H:%M:%S)] instance $port is ready ($(( $(date +%s) - started ))s)"
  sleep "$settle"
done
echo "Rolling restart complete: $ports"
