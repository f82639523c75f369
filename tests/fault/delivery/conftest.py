"""Fault drills reuse the integration fixtures (signer, JWKS server, order stream)."""

from tests.integration.delivery.conftest import js, jwks, signer

__all__ = ["js", "jwks", "signer"]
