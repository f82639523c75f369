"""Provider verification: every consumer pact with the payment gateway, replayed against the real
mock served by granian (provider states through its admin API)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pact import Pact, Verifier

from tests.contract.payment_gateway.provider_states import ProviderStates
from tests.integration.payment_gateway.granian_process import GranianProcess, free_port

PACTS = Path(__file__).resolve().parents[1] / "pacts"
PROVIDER_NAMES = {"payment-gateway", "fitshop-payment-gateway", "payment_gateway"}


def payment_gateway_pacts(folder: Path = PACTS) -> list[Path]:
    """Pact files in `folder` whose provider is the payment gateway."""
    found = []
    for path in sorted(folder.glob("*.json")):
        provider = json.loads(path.read_text()).get("provider", {}).get("name", "")
        if provider in PROVIDER_NAMES:
            found.append(path)
    return found


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GranianProcess, str]]:
    admin_port = free_port()
    served = GranianProcess(
        "payment_gateway.entrypoints.http:create_app",
        {"PAYMENT_FAULTS_ENABLED": "true", "PAYMENT_ADMIN_PORT": str(admin_port)},
        log=tmp_path_factory.mktemp("pact") / "payment-gateway.log",
    )
    with served:
        yield served, f"http://127.0.0.1:{admin_port}"


def verify(pact: Path, served: GranianProcess, admin_url: str) -> tuple[Verifier, ProviderStates]:
    provider = json.loads(pact.read_text())["provider"]["name"]
    states = ProviderStates(served.url, admin_url)
    verifier = (
        Verifier(provider, host="127.0.0.1")
        .add_source(pact)
        .add_transport(url=served.url)
        .state_handler(states, teardown=True)
        .set_error_on_empty_pact(enabled=True)
    )
    try:
        verifier.verify()
    except RuntimeError as failure:
        raise AssertionError(f"{pact.name} failed verification:\n{verifier.output(strip_ansi=True)}"
                             f"\n--- mock log ---\n{served.tail()}") from failure
    finally:
        states.close()
    return verifier, states


def test_at_least_one_consumer_pact_with_the_payment_gateway_exists() -> None:
    assert payment_gateway_pacts(), f"no pact with provider in {sorted(PROVIDER_NAMES)} under {PACTS}"


@pytest.mark.parametrize("pact", payment_gateway_pacts(), ids=lambda p: p.stem)
def test_the_mock_honours_the_consumer_pact(pact: Path, mock: tuple[GranianProcess, str]) -> None:
    served, admin_url = mock
    verifier, _ = verify(pact, served, admin_url)
    interactions = json.loads(pact.read_text())["interactions"]
    results = verifier.results
    assert results["result"] is True
    assert len(results["interactionResults"]) == len(interactions) > 0
    assert all(r["result"] == "OK" for r in results["interactionResults"])


def test_a_pact_the_mock_does_not_honour_fails_verification(
    mock: tuple[GranianProcess, str], tmp_path: Path,
) -> None:
    """The verification above can fail: a consumer expecting a declined card to be approved."""
    served, admin_url = mock
    pact = Pact("contract-check", "payment-gateway").with_specification("V4")
    order = "7b1d2f4e-3c59-4a53-8d0e-5b1f4f0a9c11"
    (pact.upon_receiving("a charge on a card with insufficient funds")
     .given("the provider accepts payments")
     .with_request("POST", "/v1/payments")
     .with_header("Idempotency-Key", order)
     .with_body({"amount": 39_000, "currency": "KRW", "card_number": "4000000000000002",
                 "order_id": order}, content_type="application/json")
     .will_respond_with(201)
     .with_body({"status": "APPROVED"}, content_type="application/json"))
    pact.write_file(tmp_path)
    with pytest.raises(AssertionError, match="failed verification"):
        verify(tmp_path / "contract-check-payment-gateway.json", served, admin_url)
