"""The orders service's domain layer."""
