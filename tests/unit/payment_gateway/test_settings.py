"""The mock's settings: off by default, and the names both the brief and the local stack use."""

from __future__ import annotations

from pathlib import Path

import pytest

from payment_gateway.bootstrap import initial_faults
from payment_gateway.settings import PaymentSettings


def test_fault_injection_is_off_and_faults_are_clear_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PAYMENT_FAULTS_ENABLED", "FAULT_INJECTION_ENABLED", "PAYMENT_LATENCY_MS",
                 "PAYMENT_ERROR_RATE", "PAYMENT_MAX_CONCURRENCY", "DATA_DIR", "PAYMENT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = PaymentSettings()
    assert settings.faults_enabled is False
    assert settings.admin_port == 8114 and settings.admin_host == "127.0.0.1"
    assert settings.data_dir is None
    faults = initial_faults(settings)
    assert (faults.latency_ms, faults.error_rate, faults.max_concurrency, faults.outage) == (0, 0.0, None, False)


def test_the_local_stack_names_enable_faults_and_move_the_admin_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAULT_INJECTION_ENABLED", "true")
    monkeypatch.setenv("ADMIN_PORT", "9114")
    monkeypatch.setenv("DATA_DIR", "/tmp/fitshop-state/payment-gateway")
    settings = PaymentSettings()
    assert settings.faults_enabled and settings.admin_port == 9114
    assert settings.data_dir == Path("/tmp/fitshop-state/payment-gateway")


def test_environment_fault_defaults_become_the_initial_faults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYMENT_FAULTS_ENABLED", "true")
    monkeypatch.setenv("PAYMENT_LATENCY_MS", "800")
    monkeypatch.setenv("PAYMENT_ERROR_RATE", "0.1")
    monkeypatch.setenv("PAYMENT_MAX_CONCURRENCY", "0")  # 0 means unlimited
    faults = initial_faults(PaymentSettings())
    assert (faults.latency_ms, faults.error_rate, faults.max_concurrency) == (800, 0.1, None)
