"""The orders service's entrypoints layer."""
