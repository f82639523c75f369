"""Fault drills reuse the integration fixtures (signer, JWKS server, streams, SMTP server)."""

from tests.integration.notification.conftest import js, jwks, signer, smtp

__all__ = ["js", "jwks", "signer", "smtp"]
