"""Every rendered object is valid for Kubernetes 1.29 and 1.37 (kubernetes-validate --strict).

Objects of custom resource kinds have no schema in Kubernetes itself: they are skipped BY NAME
here, each with its reason, and reported as skipped tests, never silently passed over."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart.chartlib import KUBE_VERSIONS, PROFILES, Renderer

try:
    import kubernetes_validate
except ImportError:  # pragma: no cover - reported by the test below
    kubernetes_validate = None

# (apiVersion, kind) -> why it is not validated against the Kubernetes schema.
CUSTOM_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"):
        "Prometheus Operator CRD (metrics.serviceMonitor.enabled): not part of the Kubernetes API schema",
    ("monitoring.coreos.com/v1", "PrometheusRule"):
        "Prometheus Operator CRD (metrics.prometheusRule.enabled): not part of the Kubernetes API schema",
}
# Everything optional switched on, so that every template is rendered and checked somewhere.
EVERYTHING_ON = [
    "--set", "metrics.serviceMonitor.enabled=true",
    "--set", "metrics.prometheusRule.enabled=true",
    "--set", "metrics.grafanaDashboard.enabled=true",
    "--set", "livenessSwitch.enabled=true",
    "--set", "services.payment-gateway.faults.enabled=true",
    "--set", "smtp.host=smtp.mail.invalid",
    "--set", "scheduling.podAntiAffinity=hard",
]
VARIANTS = {**PROFILES, "everything-on": EVERYTHING_ON}


def _ident(obj: dict[str, Any]) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def test_kubernetes_validate_is_installed() -> None:
    assert kubernetes_validate is not None, (
        "kubernetes-validate is missing: it belongs in the root dev dependencies "
        "(uv pip install kubernetes-validate meanwhile)"
    )


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_rendered_object_is_valid_kubernetes(render: Renderer, variant: str,
                                                   kube_version: str) -> None:
    assert kubernetes_validate is not None, "kubernetes-validate is missing"
    objects = render(*VARIANTS[variant], kube_version=kube_version)
    errors = []
    checked = 0
    for obj in objects:
        if (obj["apiVersion"], obj["kind"]) in CUSTOM_KINDS:
            continue  # reported by test_custom_resources_are_skipped_by_name
        try:
            kubernetes_validate.validate(obj, kube_version, strict=True)
            checked += 1
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{_ident(obj)}: {obj['apiVersion']} has no schema in {kube_version} "
                          "(add it to CUSTOM_KINDS with a reason if it is a CRD)")
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{_ident(obj)}: {exc.message} at {list(exc.path)}")
    assert not errors, "\n".join(errors)
    assert checked > 40


def _custom_objects() -> list[tuple[str, str, str]]:
    return [(api, kind, reason) for (api, kind), reason in CUSTOM_KINDS.items()]


@pytest.mark.parametrize(("api_version", "kind", "reason"), _custom_objects())
def test_custom_resources_are_skipped_by_name(render: Renderer, api_version: str, kind: str,
                                              reason: str) -> None:
    found = [o for o in render(*EVERYTHING_ON) if (o["apiVersion"], o["kind"]) == (api_version, kind)]
    assert found, f"{kind} is listed as skipped but the chart renders none"
    assert all(o["spec"] for o in found)
    pytest.skip(f"not validated: {', '.join(_ident(o) for o in found)}: {reason}")
