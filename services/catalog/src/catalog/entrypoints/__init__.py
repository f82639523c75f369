"""Inbound adapters: the REST API and the order-event consumers."""
