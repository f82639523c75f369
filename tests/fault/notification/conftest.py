"""Fault drills reuse the integration fixtures (streams, SMTP server)."""

from tests.integration.notification.conftest import js, smtp

__all__ = ["js", "smtp"]
