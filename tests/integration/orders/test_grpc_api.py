"""The gRPC adapter of a served orders instance (granian, real PostgreSQL, NATS, payment mock)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import httpx2
import pytest

from fitshop_common.postgres import create_pool
from fitshop_common.settings import PostgresSettings
from orders.entrypoints import orders_pb2, orders_pb2_grpc
from tests.integration.orders.scenario import DUMBBELL_ID, KETTLEBELL_ID, seed_replica
from tests.integration.orders.served import PaymentMock, ServedOrders, free_port, orders_env
from tests.support.tokens import JwksServer, Signer


@pytest.fixture(scope="module")
def grpc_db(pg: Any) -> str:
    """One database for the module: the served instance starts once (that is the slow part)."""
    return str(pg.fresh_database())


@pytest.fixture(scope="module")
def served_orders(grpc_db: str, nats_server: Any, payment_mock_server: PaymentMock,
                  jwks: JwksServer, tmp_path_factory: pytest.TempPathFactory,
                  ) -> Iterator[tuple[ServedOrders, int]]:
    grpc_port = free_port()
    served = ServedOrders(orders_env(database_url=grpc_db, nats_url=nats_server.url,
                                     payment_url=payment_mock_server.url, jwks_url=jwks.url,
                                     grpc_port=grpc_port),
                          tmp_path_factory.mktemp("grpc") / "orders.log")
    served.start()
    yield served, grpc_port
    served.stop()


@pytest.fixture
async def stub(served_orders: tuple[ServedOrders, int], grpc_db: str,
               payment_mock: PaymentMock) -> AsyncIterator[orders_pb2_grpc.OrdersStub]:
    pool = await create_pool(PostgresSettings(database_url=grpc_db, database_pool_min=1))
    await seed_replica(pool)
    await pool.close()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{served_orders[1]}") as channel:
        yield orders_pb2_grpc.OrdersStub(channel)


def bearer(signer: Signer, sub: str = "alice", roles: list[str] | None = None) -> tuple[Any, ...]:
    return (("authorization", f"Bearer {signer.token(sub, roles or ['customer'])}"),)


def place_request(*lines: tuple[str, int], card: str = "4242424242424242",
                  **more: Any) -> orders_pb2.PlaceOrderRequest:
    return orders_pb2.PlaceOrderRequest(
        lines=[orders_pb2.OrderLineRequest(product_id=p, quantity=q) for p, q in lines],
        shipping_address=orders_pb2.ShippingAddress(recipient="Kim Minji", line1="12 Teheran-ro",
                                                    city="Seoul", postal_code="06236",
                                                    phone="010-1234-5678"),
        payment=orders_pb2.CardPayment(method="card", card_number=card), **more)


async def test_place_get_and_cancel_over_grpc_match_the_rest_api(
        stub: orders_pb2_grpc.OrdersStub, signer: Signer,
        served_orders: tuple[ServedOrders, int]) -> None:
    order = await stub.PlaceOrder(place_request((DUMBBELL_ID, 2)), metadata=bearer(signer))
    assert order.status == "PLACED" and order.total.amount == 70_000
    assert order.payment.status == "APPROVED"
    fetched = await stub.GetOrder(orders_pb2.GetOrderRequest(order_id=order.id),
                                  metadata=bearer(signer))
    assert fetched == order
    rest = httpx2.get(f"{served_orders[0].url}/api/v1/orders/{order.id}",
                      headers={"Authorization": bearer(signer)[0][1]}).json()
    assert rest["status"] == "PLACED" and rest["id"] == order.id
    cancelled = await stub.CancelOrder(orders_pb2.CancelOrderRequest(order_id=order.id),
                                       metadata=bearer(signer))
    assert cancelled.status == "CANCELLED" and cancelled.payment.status == "CANCELLED"


async def test_the_idempotency_key_works_over_grpc(stub: orders_pb2_grpc.OrdersStub,
                                                   signer: Signer) -> None:
    request = place_request((DUMBBELL_ID, 1), idempotency_key="grpc-checkout-1")
    first = await stub.PlaceOrder(request, metadata=bearer(signer))
    again = await stub.PlaceOrder(request, metadata=bearer(signer))
    assert first.id == again.id


async def status_of(call: Any) -> tuple[grpc.StatusCode, str, dict[str, str]]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    error = caught.value
    trailing = {k: v for k, v in (error.trailing_metadata() or ())}
    return error.code(), error.details() or "", trailing


async def test_errors_map_to_grpc_status_codes(stub: orders_pb2_grpc.OrdersStub, signer: Signer,
                                               payment_mock: PaymentMock) -> None:
    code, _, _ = await status_of(stub.PlaceOrder(place_request((DUMBBELL_ID, 1))))
    assert code is grpc.StatusCode.UNAUTHENTICATED
    code, _, _ = await status_of(stub.PlaceOrder(place_request((DUMBBELL_ID, 1)),
                                                 metadata=(("authorization", "Bearer nonsense"),)))
    assert code is grpc.StatusCode.UNAUTHENTICATED
    code, _, _ = await status_of(stub.PlaceOrder(place_request((DUMBBELL_ID, 1)),
                                                 metadata=bearer(signer, "s", ["seller"])))
    assert code is grpc.StatusCode.PERMISSION_DENIED
    code, detail, _ = await status_of(stub.PlaceOrder(place_request((DUMBBELL_ID, 0)),
                                                      metadata=bearer(signer)))
    assert code is grpc.StatusCode.INVALID_ARGUMENT and "quantity" in detail
    code, _, _ = await status_of(stub.PlaceOrder(orders_pb2.PlaceOrderRequest(),
                                                 metadata=bearer(signer)))
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    code, detail, _ = await status_of(stub.PlaceOrder(place_request((KETTLEBELL_ID, 9)),
                                                      metadata=bearer(signer)))
    assert code is grpc.StatusCode.FAILED_PRECONDITION and "only 5" in detail
    code, detail, trailing = await status_of(stub.PlaceOrder(
        place_request((DUMBBELL_ID, 1), card="4000000000000002"), metadata=bearer(signer)))
    assert code is grpc.StatusCode.FAILED_PRECONDITION and "declined" in detail
    assert trailing["location"].startswith("/api/v1/orders/")
    code, _, _ = await status_of(stub.GetOrder(orders_pb2.GetOrderRequest(order_id="nope"),
                                               metadata=bearer(signer)))
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    code, _, _ = await status_of(stub.GetOrder(
        orders_pb2.GetOrderRequest(order_id=str(uuid.uuid4())), metadata=bearer(signer)))
    assert code is grpc.StatusCode.NOT_FOUND
    payment_mock.set_faults(outage=True)
    code, detail, trailing = await status_of(stub.PlaceOrder(place_request((DUMBBELL_ID, 1)),
                                                             metadata=bearer(signer)))
    assert code is grpc.StatusCode.UNAVAILABLE and "busy" in detail
    assert int(trailing["retry-after"]) >= 1


async def test_another_customers_order_is_not_found_over_grpc(stub: orders_pb2_grpc.OrdersStub,
                                                              signer: Signer) -> None:
    order = await stub.PlaceOrder(place_request((DUMBBELL_ID, 1)), metadata=bearer(signer))
    code, _, _ = await status_of(stub.GetOrder(orders_pb2.GetOrderRequest(order_id=order.id),
                                               metadata=bearer(signer, "bob")))
    assert code is grpc.StatusCode.NOT_FOUND
    code, _, _ = await status_of(stub.CancelOrder(orders_pb2.CancelOrderRequest(order_id=order.id),
                                                  metadata=bearer(signer, "bob")))
    assert code is grpc.StatusCode.NOT_FOUND
    seller = await stub.GetOrder(orders_pb2.GetOrderRequest(order_id=order.id),
                                 metadata=bearer(signer, "s", ["seller"]))
    assert seller.id == order.id
