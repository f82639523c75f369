{{/*
fitshop.name: the chart name, or nameOverride.
*/}}
{{- define "fitshop.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
fitshop.fullname: the prefix of every object name. The release name when it contains the
chart name (release "fitshop" gives "fitshop", so Services are "fitshop-<service>", the
upstream hosts gateway-config/kong.yml uses), else "<release>-fitshop"; fullnameOverride wins.
*/}}
{{- define "fitshop.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
fitshop.chart: chart name and version, for the helm.sh/chart label.
*/}}
{{- define "fitshop.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
fitshop.labels: the standard labels of every object; pass a dict with "root" (the top
context) and "component" (a service name, "postgres", "migrations", ...).
*/}}
{{- define "fitshop.labels" -}}
helm.sh/chart: {{ include "fitshop.chart" .root }}
{{ include "fitshop.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: fitshop
{{- with .root.Values.global.labels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
fitshop.selectorLabels: the immutable labels that select one component's pods; same input.
*/}}
{{- define "fitshop.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fitshop.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
fitshop.componentName: "<fullname>-<component>", the name of a component's objects.
*/}}
{{- define "fitshop.componentName" -}}
{{- printf "%s-%s" (include "fitshop.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
fitshop.image: "registry/repository:tag" of a fitshop image; pass dict "root" and "image"
(a map with repository and tag). The tag falls back to global.imageTag, then appVersion.
*/}}
{{- define "fitshop.image" -}}
{{- $registry := .root.Values.global.imageRegistry -}}
{{- $repository := .image.repository -}}
{{- if $registry }}{{ $repository = printf "%s/%s" (trimSuffix "/" $registry) $repository }}{{ end -}}
{{- $tag := .image.tag | default .root.Values.global.imageTag | default .root.Chart.AppVersion -}}
{{- if eq (toString $tag) "latest" }}{{ fail "fitshop: image tag \"latest\" is not allowed; pin a version" }}{{ end -}}
{{- printf "%s:%s" $repository (toString $tag) }}
{{- end }}

{{/*
fitshop.package: the Python import name of a service ("order-view" -> "order_view").
*/}}
{{- define "fitshop.package" -}}
{{- replace "-" "_" . }}
{{- end }}

{{/*
fitshop.issuer: the expected token issuer.
*/}}
{{- define "fitshop.issuer" -}}
{{- .Values.jwt.issuer | default (printf "%s/auth" (trimSuffix "/" .Values.gateway.publicUrl)) }}
{{- end }}

{{/*
fitshop.jwksUrl: where services fetch the issuer's public keys.
*/}}
{{- define "fitshop.jwksUrl" -}}
{{- .Values.jwt.jwksUrl | default (printf "http://%s-auth:8080/auth/jwks.json" (include "fitshop.fullname" .)) }}
{{- end }}

{{/*
fitshop.kongConfigMapName: the ConfigMap the Kong release mounts (dblessConfig.configMap).
*/}}
{{- define "fitshop.kongConfigMapName" -}}
{{- .Values.gateway.configMapName | default (printf "%s-kong-config" (include "fitshop.fullname" .)) }}
{{- end }}

{{/*
fitshop.probes: a service's probe settings, its overrides merged over the top-level defaults;
pass dict "root" and "svc". Answers YAML (use fromYaml).
*/}}
{{- define "fitshop.probes" -}}
{{- $merged := mergeOverwrite (deepCopy .root.Values.probes) (deepCopy (.svc.probes | default dict)) }}
{{- toYaml $merged }}
{{- end }}

{{/*
fitshop.secretValue: a password that survives upgrades: the value from values if set, else
the one already stored in the named Secret (lookup; empty under `helm template`), else a
new random one. Pass dict "root", "name" (Secret), "key" and "value".
*/}}
{{- define "fitshop.secretValue" -}}
{{- if .value }}
{{- .value }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .name }}
{{- if and $existing (index ($existing.data | default dict) .key) }}
{{- index $existing.data .key | b64dec }}
{{- else }}
{{- randAlphaNum 32 }}
{{- end }}
{{- end }}
{{- end }}

{{/*
fitshop.datastoreEnv: the env entries that give a service its datastore URLs. In-chart
datastores: the password comes from the datastore's Secret and Kubernetes expands $(VAR) in
the URL, so the password is stored in exactly one place. External datastores: the URL comes
from the service's own Secret (external.url) or from external.existingSecret, key = service.
Pass dict "root", "name" (service) and "svc".
*/}}
{{- define "fitshop.datastoreEnv" -}}
{{- $root := .root }}
{{- $name := .name }}
{{- $uses := .svc.uses | default dict }}
{{- $ds := $root.Values.datastores }}
{{- if hasKey $uses "postgres" }}
{{- if $ds.postgres.enabled }}
- name: POSTGRES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "fitshop.componentName" (dict "root" $root "component" "postgres") }}
      key: password
- name: DATABASE_URL
  value: {{ printf "postgresql://%s:$(POSTGRES_PASSWORD)@%s:5432/%s" $ds.postgres.username (include "fitshop.componentName" (dict "root" $root "component" "postgres")) $uses.postgres | quote }}
{{- else if $ds.postgres.external.existingSecret }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $ds.postgres.external.existingSecret }}
      key: {{ $name }}
{{- end }}
{{- end }}
{{- if hasKey $uses "mongo" }}
{{- if $ds.mongo.enabled }}
- name: MONGO_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "fitshop.componentName" (dict "root" $root "component" "mongo") }}
      key: password
- name: MONGO_URL
  value: {{ printf "mongodb://%s:$(MONGO_PASSWORD)@%s:27017/?authSource=admin" $ds.mongo.username (include "fitshop.componentName" (dict "root" $root "component" "mongo")) | quote }}
{{- else if $ds.mongo.external.existingSecret }}
- name: MONGO_URL
  valueFrom:
    secretKeyRef:
      name: {{ $ds.mongo.external.existingSecret }}
      key: {{ $name }}
{{- end }}
{{- end }}
{{- if hasKey $uses "redis" }}
{{- if $ds.redis.enabled }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "fitshop.componentName" (dict "root" $root "component" "redis") }}
      key: password
- name: REDIS_URL
  value: {{ printf "redis://:$(REDIS_PASSWORD)@%s:6379/%v" (include "fitshop.componentName" (dict "root" $root "component" "redis")) $uses.redis | quote }}
{{- else if $ds.redis.external.existingSecret }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $ds.redis.external.existingSecret }}
      key: {{ $name }}
{{- end }}
{{- end }}
{{- end }}

{{/*
fitshop.secretData: the key/values of a service's own Secret (external datastore URLs given
inline, secretEnv). Pass dict "root", "name" and "svc". Answers YAML (use fromYaml).
*/}}
{{- define "fitshop.secretData" -}}
{{- $root := .root }}
{{- $uses := .svc.uses | default dict }}
{{- $ds := $root.Values.datastores }}
{{- $data := dict }}
{{- if and (hasKey $uses "postgres") (not $ds.postgres.enabled) (not $ds.postgres.external.existingSecret) }}
{{- $url := required "datastores.postgres.external.url (or existingSecret) is required when datastores.postgres.enabled is false" $ds.postgres.external.url }}
{{- $_ := set $data "DATABASE_URL" (replace "{database}" (toString $uses.postgres) $url) }}
{{- end }}
{{- if and (hasKey $uses "mongo") (not $ds.mongo.enabled) (not $ds.mongo.external.existingSecret) }}
{{- $_ := set $data "MONGO_URL" (required "datastores.mongo.external.url (or existingSecret) is required when datastores.mongo.enabled is false" $ds.mongo.external.url) }}
{{- end }}
{{- if and (hasKey $uses "redis") (not $ds.redis.enabled) (not $ds.redis.external.existingSecret) }}
{{- $url := required "datastores.redis.external.url (or existingSecret) is required when datastores.redis.enabled is false" $ds.redis.external.url }}
{{- $_ := set $data "REDIS_URL" (replace "{db}" (toString $uses.redis) $url) }}
{{- end }}
{{- range $k, $v := (.svc.secretEnv | default dict) }}
{{- $_ := set $data $k (toString $v) }}
{{- end }}
{{- toYaml $data }}
{{- end }}

{{/*
fitshop.configData: the plain settings of a service (its ConfigMap). Pass dict "root",
"name" and "svc". Answers YAML (use fromYaml).
*/}}
{{- define "fitshop.configData" -}}
{{- $root := .root }}
{{- $name := .name }}
{{- $svc := .svc }}
{{- $uses := $svc.uses | default dict }}
{{- $data := dict
    "SERVICE_NAME" $name
    "LOG_LEVEL" "INFO"
    "SHUTDOWN_GRACE_SECONDS" (toString $root.Values.lifecycle.shutdownGraceSeconds)
    "LIVENESS_SWITCH" (ternary "true" "false" $root.Values.livenessSwitch.enabled) }}
{{- if $uses.nats }}
{{- $_ := set $data "NATS_URL" $root.Values.nats.url }}
{{- end }}
{{- if hasKey $uses "mongo" }}
{{- $_ := set $data "MONGO_DB" (toString $uses.mongo) }}
{{- end }}
{{- if or $uses.jwt (eq $name "auth") }}
{{- $_ := set $data "JWT_ISSUER" (include "fitshop.issuer" $root) }}
{{- $_ := set $data "JWT_AUDIENCE" $root.Values.jwt.audience }}
{{- $_ := set $data "JWKS_URL" (include "fitshop.jwksUrl" $root) }}
{{- end }}
{{- if eq $name "auth" }}
{{- $_ := set $data "AUTH_KEYS_DIR" $root.Values.signingKeys.mountPath }}
{{- $_ := set $data "AUTH_WEB_REDIRECT_URIS" (printf "%s/callback" (trimSuffix "/" $root.Values.gateway.publicUrl)) }}
{{- end }}
{{- if has "payment-gateway" ($uses.calls | default list) }}
{{- $_ := set $data "PAYMENT_URL" (printf "http://%s:8080" (include "fitshop.componentName" (dict "root" $root "component" "payment-gateway"))) }}
{{- end }}
{{- if and $uses.smtp $root.Values.smtp.host }}
{{- $_ := set $data "SMTP_HOST" $root.Values.smtp.host }}
{{- $_ := set $data "SMTP_PORT" (toString $root.Values.smtp.port) }}
{{- $_ := set $data "SMTP_FROM" $root.Values.smtp.from }}
{{- end }}
{{- with $svc.extraPorts }}
{{- if hasKey . "grpc" }}
{{- $_ := set $data (printf "%s_GRPC_PORT" (upper (include "fitshop.package" $name))) (toString .grpc) }}
{{- end }}
{{- end }}
{{- if $svc.faults }}
{{- $_ := set $data "PAYMENT_FAULTS_ENABLED" (ternary "true" "false" $svc.faults.enabled) }}
{{- if $svc.faults.enabled }}
{{- /* Loopback only: reachable through `kubectl port-forward`, from no other pod, never via Kong. */}}
{{- $_ := set $data "PAYMENT_ADMIN_HOST" "127.0.0.1" }}
{{- $_ := set $data "PAYMENT_ADMIN_PORT" (toString $svc.faults.adminPort) }}
{{- end }}
{{- end }}
{{- range $k, $v := ($svc.env | default dict) }}
{{- $_ := set $data $k (toString $v) }}
{{- end }}
{{- toYaml $data }}
{{- end }}

{{/*
fitshop.podSpread: anti-affinity and topology spread of a service, from `scheduling`, unless
the service sets its own affinity. Pass dict "root", "name" and "svc".
*/}}
{{- define "fitshop.podSpread" -}}
{{- $root := .root }}
{{- $selector := include "fitshop.selectorLabels" (dict "root" $root "component" .name) | fromYaml }}
{{- if .svc.affinity }}
affinity:
  {{- toYaml .svc.affinity | nindent 2 }}
{{- else if eq $root.Values.scheduling.podAntiAffinity "hard" }}
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- toYaml $selector | nindent 12 }}
{{- else if eq $root.Values.scheduling.podAntiAffinity "soft" }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- toYaml $selector | nindent 14 }}
{{- end }}
{{- with $root.Values.scheduling.topologySpreadKeys }}
topologySpreadConstraints:
{{- range . }}
  - maxSkew: 1
    topologyKey: {{ . }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- toYaml $selector | nindent 8 }}
{{- end }}
{{- end }}
{{- end }}

{{/*
fitshop.enabledServices: the names of the enabled services, as a YAML list (use fromYamlArray).
*/}}
{{- define "fitshop.enabledServices" -}}
{{- $names := list }}
{{- range $name, $svc := .Values.services }}
{{- if $svc.enabled }}{{ $names = append $names $name }}{{ end }}
{{- end }}
{{- toYaml $names }}
{{- end }}

{{/*
fitshop.signingKeysData: what the auth signing keys are, for the checksum annotation only
(a generated key is summed as "generated": it only changes when someone replaces it).
*/}}
{{- define "fitshop.signingKeysData" -}}
{{- if .Values.signingKeys.existingSecret }}
existingSecret: {{ .Values.signingKeys.existingSecret }}
{{- else if .Values.signingKeys.files }}
{{- toYaml .Values.signingKeys.files }}
{{- else }}
generated: true
{{- end }}
{{- end }}

{{/*
fitshop.releasePods: a podSelector for every pod of this release (services, jobs, stores).
*/}}
{{- define "fitshop.releasePods" -}}
app.kubernetes.io/name: {{ include "fitshop.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
fitshop.egressRules: the NetworkPolicy egress rules of a workload that uses what `uses` says
(its stores, NATS, the services it calls, the token issuer, SMTP). DNS is allowed to every pod
by its own policy. Pass dict "root" and "uses".
*/}}
{{- define "fitshop.egressRules" -}}
{{- $root := .root }}
{{- $uses := .uses | default dict }}
{{- $ds := $root.Values.datastores }}
{{- range $store, $port := dict "postgres" 5432 "mongo" 27017 "redis" 6379 }}
{{- if hasKey $uses $store }}
{{- $cfg := index $ds $store }}
{{- if $cfg.enabled }}
- to:
    - podSelector:
        matchLabels:
          {{- include "fitshop.selectorLabels" (dict "root" $root "component" $store) | nindent 10 }}
  ports:
    - port: {{ $port }}
      protocol: TCP
{{- else }}
- to:
    {{- range ($cfg.external.egressCIDRs | default (list "0.0.0.0/0")) }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  ports:
    - port: {{ $cfg.external.port }}
      protocol: TCP
{{- end }}
{{- end }}
{{- end }}
{{- if $uses.nats }}
- to:
    - podSelector:
        matchLabels:
          {{- toYaml $root.Values.nats.podSelector | nindent 10 }}
  ports:
    - port: {{ $root.Values.nats.clientPort }}
      protocol: TCP
{{- end }}
{{- range ($uses.calls | default list) }}
- to:
    - podSelector:
        matchLabels:
          {{- include "fitshop.selectorLabels" (dict "root" $root "component" .) | nindent 10 }}
  ports:
    - port: 8080
      protocol: TCP
{{- end }}
{{- if $uses.jwt }}
{{- if $root.Values.jwt.external.enabled }}
- to:
    {{- range ($root.Values.jwt.external.egressCIDRs | default (list "0.0.0.0/0")) }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  ports:
    - port: 443
      protocol: TCP
{{- else }}
- to:
    - podSelector:
        matchLabels:
          {{- include "fitshop.selectorLabels" (dict "root" $root "component" "auth") | nindent 10 }}
  ports:
    - port: 8080
      protocol: TCP
{{- end }}
{{- end }}
{{- if and $uses.smtp $root.Values.smtp.host }}
- to:
    {{- range ($root.Values.smtp.egressCIDRs | default (list "0.0.0.0/0")) }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  ports:
    - port: {{ $root.Values.smtp.port }}
      protocol: TCP
{{- end }}
{{- end }}
