"""`helm lint --strict` passes for every values profile, and the schema rejects bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chart.chartlib import CHART, PROFILES, Renderer, run_helm


@pytest.mark.parametrize("profile_name", list(PROFILES))
def test_helm_lint_strict_passes_for_each_profile(helm: Path, chart_inputs: list[str],
                                                  profile_name: str) -> None:
    result = run_helm(helm, "lint", "--strict", str(CHART), *chart_inputs, *PROFILES[profile_name])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_the_bare_chart_lints_and_renders_without_any_input(helm: Path, render: Renderer) -> None:
    """`helm install fitshop charts/fitshop` alone must work (NOTES then warns what is missing)."""
    result = run_helm(helm, "lint", "--strict", str(CHART))
    assert result.returncode == 0, result.stdout + result.stderr
    assert render(inputs=False)


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("services.orders.image.tag=latest", "/services/orders/image/tag"),
        ("services.orders.replica=2", "additional properties 'replica'"),
        ("containerSecurityContext.readOnlyRootFilesystem=false", "readOnlyRootFilesystem"),
        ("podSecurityContext.runAsNonRoot=false", "runAsNonRoot"),
        ("services.orders.autoscaling.targetCPUUtilizationPercentage=0", "targetCPUUtilizationPercentage"),
        ("datastores.postgres.password=not/url-safe", "password"),
        ("tests.cardNumber=4111", "cardNumber"),
    ],
)
def test_values_schema_rejects_unsafe_or_misspelt_values(render: Renderer, setting: str,
                                                         complaint: str) -> None:
    assert complaint in render.fails("--set", setting)


def test_a_grace_period_shorter_than_the_drain_is_refused(render: Renderer) -> None:
    error = render.fails("--set", "lifecycle.terminationGracePeriodSeconds=20")
    assert "must exceed preStopSleepSeconds + shutdownGraceSeconds" in error


def test_an_external_postgres_needs_a_url_or_a_secret(render: Renderer) -> None:
    error = render.fails("--set", "datastores.postgres.enabled=false")
    assert "datastores.postgres.external.url (or existingSecret) is required" in error
