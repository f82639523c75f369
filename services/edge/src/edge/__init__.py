"""The dev edge: a local stand-in for Kong that serves gateway-config/kong.yml (production runs Kong)."""
