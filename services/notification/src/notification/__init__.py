"""fitshop's notification service."""
