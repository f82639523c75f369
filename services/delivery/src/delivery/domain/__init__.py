"""The delivery domain: the Delivery aggregate, its commands and its events (no I/O)."""
