"""The throttling key's address: X-Forwarded-For is believed only as far as our own proxies."""

from __future__ import annotations

from ipaddress import ip_network

from auth.entrypoints.client_address import client_address

GATEWAY = (ip_network("10.0.0.0/8"), ip_network("127.0.0.1/32"))


def test_without_a_proxy_the_peer_is_the_client() -> None:
    assert client_address("203.0.113.7", None, GATEWAY) == "203.0.113.7"


def test_an_untrusted_peer_cannot_claim_another_address() -> None:
    assert client_address("203.0.113.7", "198.51.100.1", GATEWAY) == "203.0.113.7"


def test_behind_the_gateway_the_address_it_saw_is_the_client() -> None:
    assert client_address("10.1.2.3", "198.51.100.1", GATEWAY) == "198.51.100.1"


def test_addresses_the_client_wrote_itself_are_ignored() -> None:
    # the client sent "X-Forwarded-For: 1.2.3.4"; the gateway appended what it saw
    assert client_address("10.1.2.3", "1.2.3.4, 198.51.100.1", GATEWAY) == "198.51.100.1"


def test_a_chain_of_trusted_proxies_is_walked_back() -> None:
    assert client_address("127.0.0.1", "198.51.100.1, 10.9.9.9", GATEWAY) == "198.51.100.1"


def test_garbage_in_the_header_is_taken_as_is_rather_than_skipped() -> None:
    assert client_address("10.1.2.3", "not-an-ip", GATEWAY) == "not-an-ip"
