"""The dev edge: a local stand-in for Kong serving gateway-config/kong.yml (production: Kong)."""
