"""Fault drills reuse the integration fixtures (the order stream; tests/conftest.py has the rest)."""

from tests.integration.delivery.conftest import js

__all__ = ["js"]
