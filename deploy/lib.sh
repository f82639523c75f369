# shellcheck shell=bash
# Shared by the demo scripts (sourced, not run). Every setting can be overridden from the
# environment: NAMESPACE, RELEASE, GATEWAY_URL, LOCUST_IMAGE.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NAMESPACE=${NAMESPACE:-$(kubectl config view --minify -o jsonpath='{..namespace}' 2>/dev/null || true)}
NAMESPACE=${NAMESPACE:-default}
RELEASE=${RELEASE:-fitshop}
# The release name "fitshop" gives object names "fitshop-..."; others "<release>-fitshop-...".
case "$RELEASE" in *fitshop*) PREFIX=$RELEASE ;; *) PREFIX=$RELEASE-fitshop ;; esac
GATEWAY_URL=${GATEWAY_URL:-http://kong-kong-proxy}
# Official Locust image; pin the version the locustfile was tried with.
LOCUST_IMAGE=${LOCUST_IMAGE:-locustio/locust:2.47.0}

k() { kubectl -n "$NAMESPACE" "$@"; }
say() { printf '\n== %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not on PATH"
}

# selector of one service's pods
pods_of() { echo "app.kubernetes.io/instance=$RELEASE,app.kubernetes.io/component=$1"; }

# start_locust NAME USERS SPAWN_RATE DURATION STRICT: a Job running bench/locustfile.py
# against the gateway from inside the cluster. Its pods carry the `loadgen` component label,
# which the chart's NetworkPolicy lets talk to Kong's proxy (and nothing else).
start_locust() {
  local name=$PREFIX-locust-$1 users=$2 rate=$3 duration=$4 strict=${5:-0}
  k create configmap "$PREFIX-locustfile" --from-file=locustfile.py="$REPO/bench/locustfile.py" \
    --dry-run=client -o yaml | k apply -f - >/dev/null
  k delete job "$name" --ignore-not-found --wait=true >/dev/null
  k apply -f - >/dev/null <<YAML
apiVersion: batch/v1
kind: Job
metadata:
  name: $name
  labels:
    app.kubernetes.io/name: fitshop
    app.kubernetes.io/instance: $RELEASE
    app.kubernetes.io/component: loadgen
spec:
  backoffLimit: 0
  ttlSecondsAfterFinished: 3600
  template:
    metadata:
      labels:
        app.kubernetes.io/name: fitshop
        app.kubernetes.io/instance: $RELEASE
        app.kubernetes.io/component: loadgen
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: locust
          image: $LOCUST_IMAGE
          args: ["-f", "/mnt/locust/locustfile.py", "--headless", "--only-summary",
                 "-u", "$users", "-r", "$rate", "-t", "$duration", "--host", "$GATEWAY_URL"]
          env:
            - name: AVAILABILITY_STRICT
              value: "$strict"
            - name: LOADGEN_CLIENT_SECRET
              valueFrom:
                secretKeyRef: {name: $PREFIX-loadgen, key: client-secret}
          resources:
            requests: {cpu: 500m, memory: 256Mi}
            limits: {cpu: "1", memory: 512Mi}
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
          volumeMounts:
            - {name: locustfile, mountPath: /mnt/locust, readOnly: true}
      volumes:
        - name: locustfile
          configMap: {name: $PREFIX-locustfile}
YAML
  echo "$name"
}

# wait_job NAME: block until the Job succeeded or failed; answers 0 on success.
wait_job() {
  local name=$1
  while true; do
    local succeeded failed
    succeeded=$(k get job "$name" -o jsonpath='{.status.succeeded}' 2>/dev/null || true)
    failed=$(k get job "$name" -o jsonpath='{.status.failed}' 2>/dev/null || true)
    [ "${succeeded:-0}" -ge 1 ] && return 0
    [ "${failed:-0}" -ge 1 ] && return 1
    sleep 5
  done
}

# availability NAME: the locustfile's AVAILABILITY line from the Job's log.
availability() {
  k logs "job/$1" | grep '^AVAILABILITY ' | tail -1 | cut -d' ' -f2-
}
