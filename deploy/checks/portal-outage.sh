#!/bin/bash
# Stops the portal for OUTAGE seconds (default 60) while a run it launched trains, starts it again, and checks that
# the run completes with every metrics row exactly once (the worker journals what it could not send and replays it).
# Usage: deploy/checks/portal-outage.sh   (needs curl and python3; uses port 5097 and /tmp/portal-outage)
set -u
cd "$(dirname "$0")/../.."  # the repository; build first: dotnet build src/Scott.Lab.Web
dll=$PWD/src/Scott.Lab.Web/bin/Debug/net10.0/Scott.Lab.Web.dll
data=/tmp/portal-outage; rm -rf $data; mkdir -p $data
url=http://127.0.0.1:5097
start_portal() { (cd $(dirname $dll); nohup dotnet $dll --urls $url --ScottLab:DataDir=$data >> $data/portal.log 2>&1 & echo $! > $data/portal.pid); for i in $(seq 1 120); do curl -sf $url/api/runs >/dev/null && return 0; sleep 1; done; echo "portal did not start"; exit 1; }
start_portal
id=$(curl -s -X POST $url/api/runs -H 'Content-Type: application/json' -d '{"name":"portal-outage","dataset":{"id":"fashion-mnist-sample"},"tokenizer":{"id":"scott","options":{"stages":1,"kernel_size":5,"hidden_channels":16}},"objective":{"id":"mim-jepa","options":{"predictor_depth":1}},"model":{"image_size":28,"width":32,"depth":2,"heads":2},"optimizer":{"lr":0.001,"warmup_epochs":1},"trainer":{"steps":400,"batch_size":16,"log_every":1,"checkpoint_every":100,"device":"cpu"}}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
echo "run $id"
for i in $(seq 1 300); do s=$(curl -s $url/api/runs/$id | python3 -c 'import sys,json; print(json.load(sys.stdin).get("step",0))'); [ "$s" -ge 20 ] && break; sleep 1; done
echo "step $s: stopping the portal for ${OUTAGE:-60} s at $(date +%T)"
kill $(cat $data/portal.pid); for i in $(seq 1 30); do curl -sf $url/api/runs >/dev/null || break; sleep 1; done; curl -sf $url/api/runs >/dev/null && { echo "portal still answers"; exit 1; }; sleep "${OUTAGE:-60}"
echo "restarting at $(date +%T)"
start_portal
for i in $(seq 1 900); do st=$(curl -s $url/api/runs/$id | python3 -c 'import sys,json; print(json.load(sys.stdin)["status"])'); case $st in Completed|Failed|Cancelled|Interrupted) break;; esac; sleep 1; done
echo "status $st"
curl -s "$url/api/runs/$id/metrics?names=loss" | python3 -c '
import sys,json
rows=json.load(sys.stdin)["rows"]; steps=[r["step"] for r in rows]
print("rows", len(steps), "first", steps[0], "last", steps[-1], "duplicates", len(steps)-len(set(steps)), "gaps", [s for s in range(steps[0], steps[-1]+1) if s not in set(steps)][:10])'
grep -c "" $data/runs/$id/report-journal.jsonl; grep -i "reporting" $data/runs/$id/worker.log | head -5
kill $(cat $data/portal.pid)
