"""Inbound adapters: HTTP (REST + SSE) and JetStream consumers."""
