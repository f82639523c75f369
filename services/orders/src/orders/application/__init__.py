"""The orders service's application layer."""
