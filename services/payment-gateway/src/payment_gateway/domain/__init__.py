"""The provider's own rules: card decisions, payments and their lifecycle, the faults it can suffer."""
