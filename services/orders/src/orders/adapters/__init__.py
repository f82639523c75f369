"""The orders service's adapters layer."""
