#!/usr/bin/env bash
# HPA demo: put steady customer load on the shop through Kong and watch orders scale out at
# 50 % CPU (of requests.cpu) from 1 up to at most 10 pods, then back in once the load stops.
#
#   deploy/hpa-demo.sh                 # 60 customers for 6 minutes
#   USERS=120 DURATION=10m deploy/hpa-demo.sh
#
# In another terminal, the same picture live:
#   kubectl get hpa -w
#   kubectl get pods -l app.kubernetes.io/component=orders -w
#   kubectl top pods -l app.kubernetes.io/instance=fitshop        (needs metrics-server)
source "$(dirname "$0")/lib.sh"
need kubectl
USERS=${USERS:-60}
SPAWN=${SPAWN:-10}
DURATION=${DURATION:-6m}
TARGET=${TARGET:-orders}
hpa=$PREFIX-$TARGET

k get hpa "$hpa" >/dev/null 2>&1 || die "no HPA $hpa (autoscaling off in this profile? the dev profile has none)"
k top pods >/dev/null 2>&1 || echo "warning: 'kubectl top' fails: without metrics-server the HPA sees no CPU and will not scale"
say "HPA $hpa: $(k get hpa "$hpa" -o jsonpath='{.spec.minReplicas}..{.spec.maxReplicas} pods at {.spec.metrics[0].resource.target.averageUtilization}% CPU')"

job=$(start_locust hpa "$USERS" "$SPAWN" "$DURATION" 0)
say "load: $USERS customers (+$SPAWN/s) for $DURATION via $GATEWAY_URL (job $job)"
printf '%-8s %-10s %-8s %-8s %s\n' time cpu current desired ready-pods
start=$(date +%s)
while ! k get job "$job" -o jsonpath='{.status.conditions[*].type}' | grep -qE 'Complete|Failed'; do
  cpu=$(k get hpa "$hpa" -o jsonpath='{.status.currentMetrics[0].resource.current.averageUtilization}' 2>/dev/null)
  current=$(k get hpa "$hpa" -o jsonpath='{.status.currentReplicas}')
  desired=$(k get hpa "$hpa" -o jsonpath='{.status.desiredReplicas}')
  ready=$(k get deploy "$hpa" -o jsonpath='{.status.readyReplicas}')
  printf '%-8s %-10s %-8s %-8s %s\n' "$(( $(date +%s) - start ))s" "${cpu:-?}%" "$current" "$desired" "${ready:-0}"
  sleep 15
done
say "load finished: $(availability "$job")"
say "scale-in follows after the HPA's 5-minute stabilisation window: kubectl get hpa $hpa -w"
