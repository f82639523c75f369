"""Why the catalog refused a request; the HTTP adapter maps each to one status."""

from __future__ import annotations


class CatalogError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProductNotFound(CatalogError):
    pass


class SkuAlreadyRegistered(CatalogError):
    pass


class VersionConflict(CatalogError):
    def __init__(self, message: str, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


class StockContention(CatalogError):
    """Too many writers on one product at once; the event will be retried."""
