"""Inbound adapters: the public provider API and the fault-injection admin API."""
