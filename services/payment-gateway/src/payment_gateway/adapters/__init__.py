"""Storage adapters: in-memory and SQLite (the mock stands for a third party with its own store)."""
