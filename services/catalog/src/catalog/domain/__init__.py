"""The Product aggregate, its commands and events: no I/O, no framework."""
