#!/usr/bin/env bash
# Zero-downtime rollout drill: steady customer load through Kong while the services restart one
# by one (kubectl rollout restart), then the availability the load saw. Exits 1 if any request
# failed. Each Deployment surges a Ready pod first (maxUnavailable 0), and a leaving pod keeps
# serving through preStop before SIGTERM starts its drain.
#
#   deploy/rollout-demo.sh                           # orders catalog order-view, 25 customers
#   SERVICES="orders" USERS=40 deploy/rollout-demo.sh
source "$(dirname "$0")/lib.sh"
need kubectl
SERVICES=${SERVICES:-orders catalog order-view}
USERS=${USERS:-25}
DURATION=${DURATION:-5m}
WARMUP=${WARMUP:-30}

job=$(start_locust rollout "$USERS" 5 "$DURATION" 1)
say "load: $USERS customers for $DURATION via $GATEWAY_URL (job $job); warming up ${WARMUP}s"
sleep "$WARMUP"
for service in $SERVICES; do
  say "rolling $PREFIX-$service"
  k rollout restart "deployment/$PREFIX-$service"
  k rollout status "deployment/$PREFIX-$service" --timeout=10m
done
say "rollouts done; waiting for the load to finish"
wait_job "$job" || true
report=$(availability "$job")
say "AVAILABILITY during the rollout: $report"
if echo "$report" | python3 -c 'import json,sys; r=json.load(sys.stdin); sys.exit(0 if r["requests"] and r["failures"] == 0 else 1)'; then
  echo "zero failed requests"
else
  die "some requests failed (see the errors above)"
fi
