"""The packaging rules of DESIGN §10, asserted on the rendered objects of every profile."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from tests.chart.chartlib import Objects, enabled_services, find, one, pod_labels, pod_spec

PROBE_PATHS = {"startupProbe": "/health/startup", "livenessProbe": "/health/live",
               "readinessProbe": "/health/ready"}
SECRET_LOOKING_KEY = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE|_KEY$|DATABASE_URL|MONGO_URL|REDIS_URL")


def workloads(objects: Objects) -> list[dict[str, Any]]:
    return [o for o in objects if pod_spec(o) is not None]


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def name(service: str) -> str:
    return f"fitshop-{service}"


# -- every service is deployed, named as Kong expects, with all its objects --------------------


def test_every_enabled_service_has_its_objects(objects: Objects, values: dict[str, Any]) -> None:
    for service in enabled_services(values):
        for kind in ("Deployment", "Service", "ServiceAccount", "ConfigMap", "Secret", "NetworkPolicy"):
            one(objects, kind, name(service))
        svc = values["services"][service]
        assert bool(find(objects, "HorizontalPodAutoscaler", name(service))) == svc["autoscaling"]["enabled"]
        assert bool(find(objects, "PodDisruptionBudget", name(service))) == svc["pdb"]["enabled"]


def test_disabled_services_render_nothing(objects: Objects, values: dict[str, Any]) -> None:
    for service, svc in values["services"].items():
        if not svc["enabled"]:
            assert not [o for o in objects if o["metadata"]["name"] == name(service)]


def test_deployments_are_exactly_the_enabled_services(objects: Objects, values: dict[str, Any]) -> None:
    deployed = {d["metadata"]["name"] for d in find(objects, "Deployment")}
    assert deployed == {name(s) for s in enabled_services(values)}


# -- ports and probes -------------------------------------------------------------------------


def test_container_port_service_port_and_probes_agree(objects: Objects, values: dict[str, Any]) -> None:
    for service in enabled_services(values):
        deployment = one(objects, "Deployment", name(service))
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["http"] == 8080
        svc = one(objects, "Service", name(service))
        by_name = {p["name"]: p for p in svc["spec"]["ports"]}
        assert by_name["http"]["port"] == 8080
        for port in svc["spec"]["ports"]:
            assert port["targetPort"] in ports, f"{service}: Service targets unknown port {port}"
            assert ports[port["targetPort"]] == port["port"]
        for probe in PROBE_PATHS:
            assert container[probe]["httpGet"]["port"] in ("http", 8080)
        assert svc["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert all(labels.get(k) == v for k, v in svc["spec"]["selector"].items())


def test_every_service_has_three_probes_on_the_health_endpoints(objects: Objects,
                                                                values: dict[str, Any]) -> None:
    for service in enabled_services(values):
        (container,) = one(objects, "Deployment", name(service))["spec"]["template"]["spec"]["containers"]
        for probe, path in PROBE_PATHS.items():
            assert container[probe]["httpGet"]["path"] == path, (service, probe)
            assert container[probe]["periodSeconds"] >= 1
            assert container[probe]["failureThreshold"] >= 1


def test_datastores_have_three_probes_too(objects: Objects) -> None:
    for statefulset in find(objects, "StatefulSet"):
        (container,) = statefulset["spec"]["template"]["spec"]["containers"]
        assert {"startupProbe", "livenessProbe", "readinessProbe"} <= set(container)


def test_grpc_is_declared_for_orders(objects: Objects) -> None:
    deployment = one(objects, "Deployment", "fitshop-orders")
    ports = {p["name"]: p["containerPort"] for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert ports["grpc"] == 9090
    config = one(objects, "ConfigMap", "fitshop-orders")["data"]
    assert config["ORDERS_GRPC_PORT"] == "9090"


# -- hardening -------------------------------------------------------------------------------


def test_every_container_has_requests_and_limits(objects: Objects) -> None:
    for workload in workloads(objects):
        for container in containers(pod_spec(workload)):
            resources = container.get("resources", {})
            who = f"{workload['kind']}/{workload['metadata']['name']}/{container['name']}"
            assert {"cpu", "memory"} <= set(resources.get("requests", {})), who
            assert "memory" in resources.get("limits", {}), who


def test_every_pod_runs_hardened(objects: Objects) -> None:
    """runAsNonRoot, read-only root filesystem, no privilege escalation, no capabilities,
    seccomp RuntimeDefault: for services, datastores, hook Jobs and the test Pod alike."""
    for workload in workloads(objects):
        spec = pod_spec(workload)
        pod_sc = spec.get("securityContext", {})
        for container in containers(spec):
            sc = container.get("securityContext", {})
            who = f"{workload['kind']}/{workload['metadata']['name']}/{container['name']}"
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, who
            assert sc.get("readOnlyRootFilesystem") is True, who
            assert sc.get("allowPrivilegeEscalation") is False, who
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], who
            assert not sc.get("capabilities", {}).get("add"), who
            assert not sc.get("privileged"), who
            seccomp = sc.get("seccompProfile", pod_sc.get("seccompProfile", {}))
            assert seccomp.get("type") == "RuntimeDefault", who


def test_read_only_containers_get_a_writable_tmp(objects: Objects) -> None:
    for workload in workloads(objects):
        spec = pod_spec(workload)
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in containers(spec):
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            who = f"{workload['metadata']['name']}/{container['name']}"
            assert "/tmp" in mounts, who
            assert "emptyDir" in volumes[mounts["/tmp"]], who


def test_no_pod_gets_a_service_account_token(objects: Objects) -> None:
    for account in find(objects, "ServiceAccount"):
        assert account["automountServiceAccountToken"] is False
    for workload in workloads(objects):
        assert pod_spec(workload)["automountServiceAccountToken"] is False, workload["metadata"]["name"]


def test_each_service_runs_under_its_own_service_account(objects: Objects, values: dict[str, Any]) -> None:
    for service in enabled_services(values):
        spec = one(objects, "Deployment", name(service))["spec"]["template"]["spec"]
        assert spec["serviceAccountName"] == name(service)


def test_no_image_is_latest_or_untagged(objects: Objects) -> None:
    for workload in workloads(objects):
        for container in containers(pod_spec(workload)):
            image = container["image"]
            tail = image.rsplit("/", 1)[-1]
            assert ":" in tail, f"{image} has no tag"
            assert not tail.endswith(":latest"), image


# -- graceful shutdown and rollouts ----------------------------------------------------------


def test_grace_period_covers_prestop_and_drain(objects: Objects, values: dict[str, Any]) -> None:
    for service in enabled_services(values):
        spec = one(objects, "Deployment", name(service))["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        command = container["lifecycle"]["preStop"]["exec"]["command"]
        assert command[0] == "sleep"
        drain = float(one(objects, "ConfigMap", name(service))["data"]["SHUTDOWN_GRACE_SECONDS"])
        assert spec["terminationGracePeriodSeconds"] > float(command[1]) + drain


def test_rollouts_never_drop_below_the_desired_pods(objects: Objects, values: dict[str, Any]) -> None:
    for service in enabled_services(values):
        strategy = one(objects, "Deployment", name(service))["spec"]["strategy"]
        assert strategy["type"] == "RollingUpdate"
        assert strategy["rollingUpdate"]["maxUnavailable"] == 0


def test_deployments_under_an_hpa_leave_replicas_to_it(objects: Objects, values: dict[str, Any]) -> None:
    for service in enabled_services(values):
        deployment = one(objects, "Deployment", name(service))
        has_hpa = values["services"][service]["autoscaling"]["enabled"]
        assert ("replicas" in deployment["spec"]) != has_hpa, service


# -- HPA and PDB -----------------------------------------------------------------------------


def test_hpas_are_autoscaling_v2_on_cpu_targeting_their_deployment(objects: Objects,
                                                                   values: dict[str, Any]) -> None:
    for hpa in find(objects, "HorizontalPodAutoscaler"):
        assert hpa["apiVersion"] == "autoscaling/v2"
        target = hpa["spec"]["scaleTargetRef"]
        assert target == {"apiVersion": "apps/v1", "kind": "Deployment", "name": hpa["metadata"]["name"]}
        one(objects, "Deployment", target["name"])
        (metric,) = hpa["spec"]["metrics"]
        assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"
        assert metric["resource"]["target"]["type"] == "Utilization"
        service = hpa["metadata"]["name"].removeprefix("fitshop-")
        wanted = values["services"][service]["autoscaling"]
        assert metric["resource"]["target"]["averageUtilization"] == wanted["targetCPUUtilizationPercentage"]
        assert hpa["spec"]["minReplicas"] == wanted["minReplicas"]
        assert hpa["spec"]["maxReplicas"] == wanted["maxReplicas"]


def test_demo_autoscaling_uses_the_seed_thresholds(render: Any) -> None:
    """The seed's HPA demo: CPU 50 %, 1 to 10 pods (orders is the one the demo loads)."""
    hpa = one(render(), "HorizontalPodAutoscaler", "fitshop-orders")
    assert hpa["spec"]["minReplicas"] == 1
    assert hpa["spec"]["maxReplicas"] == 10
    assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 50


def test_pdbs_select_their_service_pods(objects: Objects) -> None:
    for pdb in find(objects, "PodDisruptionBudget"):
        assert pdb["apiVersion"] == "policy/v1"
        assert ("minAvailable" in pdb["spec"]) != ("maxUnavailable" in pdb["spec"])
        deployment = one(objects, "Deployment", pdb["metadata"]["name"])
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert all(labels.get(k) == v for k, v in pdb["spec"]["selector"]["matchLabels"].items())


# -- settings and credentials ----------------------------------------------------------------


def _secret_values(objects: Objects) -> set[str]:
    found = set()
    for secret in find(objects, "Secret"):
        for raw in (secret.get("data") or {}).values():
            value = base64.b64decode(raw).decode()
            if len(value) >= 8:
                found.add(value)
                found.update(line for line in value.splitlines() if len(line) >= 16 and "BEGIN" not in line
                             and "END" not in line)
        for value in (secret.get("stringData") or {}).values():
            found.add(value)
    return found


def test_no_secret_value_is_in_a_configmap(objects: Objects) -> None:
    secrets = _secret_values(objects)
    assert secrets, "expected some secret values to look for"
    for config in find(objects, "ConfigMap"):
        for key, value in (config.get("data") or {}).items():
            for secret in secrets:
                assert secret not in value, f"ConfigMap {config['metadata']['name']}/{key} holds a secret value"


def test_service_configmaps_hold_no_credential_keys(objects: Objects, values: dict[str, Any]) -> None:
    for service in enabled_services(values):
        for key in one(objects, "ConfigMap", name(service))["data"]:
            assert not SECRET_LOOKING_KEY.search(key), f"{service}: {key} belongs in a Secret"


def test_datastore_urls_never_appear_in_plain_text_with_a_password(objects: Objects) -> None:
    """In-chart stores: the URL references $(…_PASSWORD) from the store's Secret."""
    for deployment in find(objects, "Deployment"):
        for env in deployment["spec"]["template"]["spec"]["containers"][0].get("env", []):
            if env["name"].endswith("_URL") and "value" in env:
                assert re.search(r":\$\((POSTGRES|MONGO|REDIS)_PASSWORD\)@", env["value"]), env


def test_checksum_annotations_roll_only_the_changed_service(render: Any) -> None:
    def checksums(objects: Objects) -> dict[str, dict[str, str]]:
        return {d["metadata"]["name"]: {k: v for k, v in d["spec"]["template"]["metadata"]["annotations"].items()
                                        if k.startswith("checksum/")}
                for d in find(objects, "Deployment")}

    before = checksums(render())
    assert all({"checksum/config", "checksum/secret"} <= set(c) for c in before.values())
    assert "checksum/signing-keys" in before["fitshop-auth"]

    config = checksums(render("--set", "services.orders.env.ORDERS_PAYMENT_ATTEMPTS=3"))
    assert config["fitshop-orders"]["checksum/config"] != before["fitshop-orders"]["checksum/config"]
    assert config["fitshop-orders"]["checksum/secret"] == before["fitshop-orders"]["checksum/secret"]
    assert {k: v for k, v in config.items() if k != "fitshop-orders"} == {
        k: v for k, v in before.items() if k != "fitshop-orders"}

    secret = checksums(render("--set", "services.notification.secretEnv.SMTP_PASSWORD=hunter2hunter2"))
    assert secret["fitshop-notification"]["checksum/secret"] != before["fitshop-notification"]["checksum/secret"]

    shared = checksums(render("--set", "lifecycle.shutdownGraceSeconds=20"))
    assert all(shared[d]["checksum/config"] != before[d]["checksum/config"] for d in before)

    keys = checksums(render("--set", "signingKeys.existingSecret=rotated-keys"))
    assert keys["fitshop-auth"]["checksum/signing-keys"] != before["fitshop-auth"]["checksum/signing-keys"]


def test_the_auth_service_mounts_its_signing_keys(objects: Objects, values: dict[str, Any]) -> None:
    if not values["services"]["auth"]["enabled"]:
        pytest.skip("auth is disabled in this profile")
    spec = one(objects, "Deployment", "fitshop-auth")["spec"]["template"]["spec"]
    mounts = {m["name"]: m for m in spec["containers"][0]["volumeMounts"]}
    assert mounts["signing-keys"]["readOnly"] is True
    keys_dir = one(objects, "ConfigMap", "fitshop-auth")["data"]["AUTH_KEYS_DIR"]
    assert mounts["signing-keys"]["mountPath"] == keys_dir
    volume = next(v for v in spec["volumes"] if v["name"] == "signing-keys")
    secret = one(objects, "Secret", volume["secret"]["secretName"])
    assert all(key.endswith(".pem") for key in secret["data"])


def test_signing_keys_come_from_the_demo_key_folder(render: Any) -> None:
    from tests.chart.chartlib import DEMO_KEYS

    expected = sorted(p.name for p in DEMO_KEYS.glob("*.pem"))
    assert expected, "gateway-config/demo-keys holds no key (make keys)"
    secret = one(render(), "Secret", "fitshop-auth-keys")
    assert sorted(secret["data"]) == expected


# -- hook Jobs and the helm test ---------------------------------------------------------------


def test_each_postgres_service_gets_a_migration_hook(objects: Objects, values: dict[str, Any]) -> None:
    expected = {f"fitshop-{s}-migrate" for s in enabled_services(values)
                if "postgres" in values["services"][s].get("uses", {})}
    jobs = {j["metadata"]["name"]: j for j in find(objects, "Job") if j["metadata"]["name"].endswith("-migrate")}
    assert set(jobs) == expected
    for service_job in jobs.values():
        annotations = service_job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "post-install,pre-upgrade"
        assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
        spec = service_job["spec"]["template"]["spec"]
        assert spec["initContainers"][0]["name"] == "wait-for-postgres"
        command = spec["containers"][0]["command"]
        assert command[:3] == ["python", "-m", "fitshop_common.migrate"]
        assert command[3] == service_job["metadata"]["name"].removeprefix("fitshop-").removesuffix("-migrate").replace("-", "_")


def test_seed_jobs_follow_the_migrations(objects: Objects, values: dict[str, Any]) -> None:
    seeds = [j for j in find(objects, "Job") if j["metadata"]["name"].endswith("-seed")]
    if not values["seed"]["enabled"]:
        assert not seeds
        return
    assert {j["metadata"]["name"] for j in seeds} == {f"fitshop-{s}-seed" for s in values["seed"]["services"]}
    for job in seeds:
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "post-install,post-upgrade"
        assert int(annotations["helm.sh/hook-weight"]) > 0


def test_helm_test_makes_a_round_trip_through_the_gateway(objects: Objects) -> None:
    (pod,) = [o for o in objects if o["kind"] == "Pod"]
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    container = pod["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["GATEWAY_URL"]["value"].startswith("http://kong")
    script = container["command"][2]
    for step in ("/auth/token", "client_credentials", "/api/v1/orders", "/api/v1/my-orders/"):
        assert step in script
    compile(script, "round-trip.py", "exec")
    assert pod_labels(pod)["app.kubernetes.io/component"] == "tests"
