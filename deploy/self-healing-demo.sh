#!/usr/bin/env bash
# Self-healing drill: make one pod's liveness fail on purpose and watch the kubelet restart it.
# Needs the protected switch, off by default:
#   helm upgrade fitshop charts/fitshop --reuse-values --set livenessSwitch.enabled=true
# (the dev profile has it on). POST /health/live/fail is never routed by Kong: the script
# calls it from inside the pod.
#
#   deploy/self-healing-demo.sh [service]      # default: orders
source "$(dirname "$0")/lib.sh"
need kubectl
TARGET=${1:-orders}
switch=$(k get configmap "$PREFIX-$TARGET" -o jsonpath='{.data.LIVENESS_SWITCH}')
[ "$switch" = "true" ] || die "LIVENESS_SWITCH is '$switch' on $TARGET: enable it with --set livenessSwitch.enabled=true"

pod=$(k get pods -l "$(pods_of "$TARGET")" --field-selector=status.phase=Running -o jsonpath='{.items[0].metadata.name}')
[ -n "$pod" ] || die "no running $TARGET pod"
before=$(k get pod "$pod" -o jsonpath='{.status.containerStatuses[0].restartCount}')
say "pod $pod (restarts so far: $before); flipping its liveness switch"
k exec "$pod" -c "$TARGET" -- python -c \
  "import urllib.request as u; print(u.urlopen(u.Request('http://127.0.0.1:8080/health/live/fail', method='POST')).read().decode())"
start=$(date +%s)
while true; do
  restarts=$(k get pod "$pod" -o jsonpath='{.status.containerStatuses[0].restartCount}')
  ready=$(k get pod "$pod" -o jsonpath='{.status.containerStatuses[0].ready}')
  printf '%4ss restarts=%s ready=%s\n' "$(( $(date +%s) - start ))" "$restarts" "$ready"
  if [ "$restarts" -gt "$before" ] && [ "$ready" = "true" ]; then break; fi
  [ $(( $(date +%s) - start )) -lt 300 ] || die "no restart within 5 minutes"
  sleep 3
done
say "healed: liveness failed, the kubelet restarted the container, readiness let it back in after $(( $(date +%s) - start ))s"
k get events --field-selector "involvedObject.name=$pod" --sort-by=.lastTimestamp | tail -6
