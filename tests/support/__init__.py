"""Test-side helpers shared by several test layers (token minting, a tiny JWKS server)."""
