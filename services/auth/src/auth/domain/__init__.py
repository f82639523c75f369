"""The auth domain: accounts, OAuth clients, grants and the rules on them; no I/O, no framework."""
