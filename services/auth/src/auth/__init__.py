"""fitshop's OAuth 2.0 authorization server: users, clients, the login form, tokens, JWKS, discovery."""
