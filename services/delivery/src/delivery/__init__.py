"""fitshop's delivery service."""
