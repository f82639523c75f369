"""Shared mechanisms of fitshop services: settings, logs, health, errors, JWT, events, outbox, consumers, migrations."""
