"""Adapters: PostgreSQL storage, Argon2 hashing, signing keys, and the Authlib protocol engine."""
