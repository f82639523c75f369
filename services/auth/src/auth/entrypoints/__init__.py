"""Inbound adapters: the HTTP endpoints of the authorization server."""
