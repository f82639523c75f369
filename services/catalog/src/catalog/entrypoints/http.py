"""The catalog's REST API (`/api/v1/products`) and the app factory granian serves."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Litestar, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from msgspec import UNSET, Meta, UnsetType

from catalog.application.errors import (
    CatalogError,
    ProductNotFound,
    SkuAlreadyRegistered,
    StockContention,
    VersionConflict,
)
from catalog.application.ports import PageCursor, ProductQuery
from catalog.application.service import CatalogService
from catalog.bootstrap import Runtime, bootstrap
from catalog.domain.commands import DeleteProduct, RegisterProduct, UpdateProduct
from catalog.domain.product import (
    CATEGORY_MAX,
    CATEGORY_PATTERN,
    DESCRIPTION_MAX,
    NAME_MAX,
    PRICE_MAX,
    SKU_MAX,
    SKU_PATTERN,
    STOCK_MAX,
    DomainError,
    InvalidProduct,
    Money,
    Product,
    ProductChanges,
    ProductDetails,
    ProductIsDeleted,
)
from catalog.settings import CatalogSettings, catalog_settings
from fitshop_common.app import create_service_app
from fitshop_common.errors import (
    AppError,
    Conflict,
    FieldError,
    NotFound,
    Problem,
    ServiceUnavailable,
    ValidationFailed,
    app_error_handler,
)
from fitshop_common.messaging import nats_check
from fitshop_common.openapi import VISIBLE, ProblemResponses
from fitshop_common.security import TokenVerifier, require_role
from fitshop_common.settings import (
    MongoSettings,
    NatsSettings,
    jwt_settings,
    mongo_settings,
    nats_settings,
    service_settings,
)

MAX_LIMIT = 200
Name = Annotated[str, Meta(min_length=1, max_length=NAME_MAX, pattern=VISIBLE,
                           examples=["덤벨 10kg"])]
Description = Annotated[str, Meta(max_length=DESCRIPTION_MAX)]
Category = Annotated[str, Meta(min_length=1, max_length=CATEGORY_MAX, pattern=CATEGORY_PATTERN,
                               examples=["weights"])]
Stock = Annotated[int, Meta(ge=0, le=STOCK_MAX)]


class PriceBody(msgspec.Struct, forbid_unknown_fields=True):
    amount: Annotated[int, Meta(gt=0, le=PRICE_MAX, description="KRW (no minor unit)")]
    currency: Literal["KRW"] = "KRW"


class RegisterProductRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    sku: Annotated[str, Meta(min_length=1, max_length=SKU_MAX, pattern=SKU_PATTERN,
                             examples=["DUMBBELL-10KG"])]
    name: Name
    description: Description = ""
    category: Category
    price: PriceBody
    stock: Stock = 0


class UpdateProductRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`version` is the one the change was made on; omitted fields stay as they are."""

    version: Annotated[int, Meta(ge=1)]
    name: Name | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    category: Category | UnsetType = UNSET
    price: PriceBody | UnsetType = UNSET
    stock: Stock | UnsetType = UNSET


class ProductBody(msgspec.Struct, kw_only=True):
    id: str
    sku: str
    name: str
    description: str
    category: str
    price: PriceBody
    stock: int
    oversold: int
    """Units sold beyond stock since the seller last set it (see the catalog README)."""
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, product: Product) -> ProductBody:
        return cls(
            id=product.id, sku=product.sku, name=product.name, description=product.description,
            category=product.category, price=PriceBody(product.price.amount),
            stock=product.stock, oversold=product.oversold, version=product.version,
            created_at=product.created_at, updated_at=product.updated_at,
        )


class ProductPageBody(msgspec.Struct, kw_only=True):
    items: list[ProductBody]
    next_cursor: str | None


# -- cursors --------------------------------------------------------------------------------

# `<created_at in epoch milliseconds>.<product id>` of the last item shown. Clients treat it as
# opaque; any value matching the pattern is a valid position, so no cursor can break a request.
_CURSOR = r"[0-9]{1,14}\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
CURSOR_PATTERN = f"^{_CURSOR}$"


def encode_cursor(cursor: PageCursor | None) -> str | None:
    if cursor is None:
        return None
    return f"{int(cursor.created_at.timestamp() * 1000)}.{cursor.product_id}"


def decode_cursor(text: str) -> PageCursor:
    # fullmatch: Python's `$` also matches before a final newline, the schema's does not.
    if not re.fullmatch(_CURSOR, text):
        raise ValidationFailed("The cursor is not one this API handed out.",
                               errors=[FieldError("cursor", "use next_cursor of a previous page")])
    millis, _, product_id = text.partition(".")
    return PageCursor(datetime.fromtimestamp(int(millis) / 1000, UTC), product_id)


# -- errors ---------------------------------------------------------------------------------


def to_app_error(exc: CatalogError | DomainError) -> AppError:
    """The one mapping of catalog refusals to HTTP problems."""
    if isinstance(exc, ProductNotFound | ProductIsDeleted):
        return NotFound(str(exc))
    if isinstance(exc, SkuAlreadyRegistered | VersionConflict):
        return Conflict(str(exc))
    if isinstance(exc, InvalidProduct):
        return ValidationFailed("The product is not valid.",
                                errors=[FieldError(p.field, p.message) for p in exc.problems])
    if isinstance(exc, StockContention):
        return ServiceUnavailable(str(exc), retry_after=1)
    return AppError(str(exc))


def catalog_error_handler(request: Request[Any, Any, Any],
                          exc: CatalogError | DomainError) -> Response[Problem]:
    return app_error_handler(request, to_app_error(exc))


PROBLEMS = ProblemResponses({
    403: "Not a seller", 404: "No such product",
    409: "SKU taken, or the product changed meanwhile", 503: "Busy; retry"})


SELLER = [require_role("seller")]
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


class ProductController(Controller):
    """Products: public reads, seller-only writes."""

    path = "/api/v1/products"
    tags = ["products"]
    exception_handlers = {CatalogError: catalog_error_handler, DomainError: catalog_error_handler}

    @get("/", operation_id="listProducts", responses=PROBLEMS(400, 422))
    async def list_products(
        self,
        catalog: NamedDependency[CatalogService],
        category: Annotated[str | None, QueryParameter(
            max_length=CATEGORY_MAX, pattern=CATEGORY_PATTERN, description="Only this category")
        ] = None,
        q: Annotated[str | None, QueryParameter(
            max_length=100, description="Words each found in the name or SKU (any case)")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Page size")] = 50,
        cursor: Annotated[str | None, QueryParameter(
            pattern=CURSOR_PATTERN, description="next_cursor of the previous page")] = None,
    ) -> ProductPageBody:
        """List products on sale, newest first."""
        if category is not None and not re.fullmatch(CATEGORY_PATTERN, category):
            raise ValidationFailed("Unknown category form.",  # see decode_cursor on `$`
                                   errors=[FieldError("category", "lower-case letters, digits, '-'")])
        query = ProductQuery(category=category, text=q, limit=limit,
                             after=decode_cursor(cursor) if cursor else None)
        page = await catalog.list_products(query)
        return ProductPageBody(items=[ProductBody.of(p) for p in page.items],
                               next_cursor=encode_cursor(page.next))

    @get("/{product_id:str}", operation_id="getProduct", responses=PROBLEMS(404))
    async def get_product(
        self, catalog: NamedDependency[CatalogService], product_id: FromPath[str]
    ) -> ProductBody:
        """Read one product."""
        return ProductBody.of(await catalog.get(product_id))

    @post("/", operation_id="registerProduct", guards=SELLER, security=BEARER,
          responses=PROBLEMS(400, 401, 403, 409, 422))
    async def register_product(
        self, catalog: NamedDependency[CatalogService], data: JSONBody[RegisterProductRequest]
    ) -> Response[ProductBody]:
        """Register a new product (seller)."""
        details = ProductDetails(data.name, data.description, data.category,
                                 Money(data.price.amount, data.price.currency), data.stock)
        product = await catalog.register(RegisterProduct(data.sku, details))
        return Response(ProductBody.of(product), status_code=201,
                        headers={"Location": f"/api/v1/products/{product.id}"})

    @patch("/{product_id:str}", operation_id="updateProduct", guards=SELLER, security=BEARER,
           responses=PROBLEMS(400, 401, 403, 404, 409, 422))
    async def update_product(
        self, catalog: NamedDependency[CatalogService], product_id: FromPath[str],
        data: JSONBody[UpdateProductRequest],
    ) -> ProductBody:
        """Change some fields of a product, based on the version read (seller)."""
        changes = ProductChanges(
            name=None if data.name is UNSET else data.name,
            description=None if data.description is UNSET else data.description,
            category=None if data.category is UNSET else data.category,
            price=None if data.price is UNSET else Money(data.price.amount, data.price.currency),
            stock=None if data.stock is UNSET else data.stock,
        )
        product = await catalog.update(UpdateProduct(product_id, data.version, changes))
        return ProductBody.of(product)

    @delete("/{product_id:str}", operation_id="deleteProduct", guards=SELLER, security=BEARER,
            status_code=204, responses=PROBLEMS(401, 403, 404))
    async def delete_product(
        self, catalog: NamedDependency[CatalogService], product_id: FromPath[str]
    ) -> None:
        """Take a product off sale for good (seller)."""
        await catalog.delete(DeleteProduct(product_id))


def provide_catalog(state: State) -> CatalogService:
    runtime: Runtime = state.runtime
    return runtime.service


def create_app(
    *,
    mongo: MongoSettings | None = None,
    nats: NatsSettings | None = None,
    catalog: CatalogSettings | None = None,
    token_verifier: TokenVerifier | None = None,
) -> Litestar:
    """The catalog service; settings come from the environment unless given (tests)."""
    mongo = mongo or mongo_settings()
    nats = nats or nats_settings()
    catalog = catalog or catalog_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with bootstrap(mongo, nats, catalog) as runtime:
            app.state.runtime = runtime
            client = runtime.store.client
            app.state.health.add_check("mongo", lambda: client.admin.command("ping"))
            app.state.health.add_check("nats", nats_check(runtime.nc))
            app.state.workers.spawn("outbox-relay", runtime.relay.run)
            app.state.workers.spawn("revision-pruner", runtime.store.products.prune_forever)
            for consumer in runtime.consumers:
                app.state.workers.spawn(consumer.durable, consumer.run)
            yield

    settings = service_settings()
    if settings.service_name == "fitshop":  # SERVICE_NAME unset (tests, a bare granian run)
        settings = settings.model_copy(update={"service_name": "catalog"})
    return create_service_app(
        settings=settings,
        route_handlers=[ProductController],
        lifespan=lifespan,
        jwt=jwt_settings(),
        token_verifier=token_verifier,
        description="Products sellers register; public reads.",
        dependencies={"catalog": Provide(provide_catalog, sync_to_thread=False)},
    )
