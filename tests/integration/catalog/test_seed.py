"""The demo catalogue: registered through the service (events waiting in the outbox), once only."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from catalog.application.ports import ProductQuery
from catalog.bootstrap import Store
from catalog.seed import DEMO_PRODUCTS, seed
from fitshop_common.events import assert_conforms
from fitshop_common.settings import MongoSettings

REPO = Path(__file__).resolve().parents[3]


async def test_seeding_registers_the_demo_catalogue_once_with_its_events(
    store: Store, mongo: MongoSettings,
) -> None:
    assert await seed(mongo) == len(DEMO_PRODUCTS) == 12
    assert await seed(mongo) == 0  # a second run adds nothing
    page = await store.service.list_products(ProductQuery(limit=50))
    assert {p.sku for p in page.items} == {sku for sku, *_ in DEMO_PRODUCTS}
    assert all(p.version == 1 for p in page.items)
    dumbbell = next(p for p in page.items if p.sku == "DUMBBELL-10KG")
    assert (dumbbell.name, dumbbell.price.amount) == ("덤벨 10kg", 39_000)
    pending = [entry async for revision in store.products.revisions.find({}) for entry in revision["outbox"]]
    assert len(pending) == 12
    for entry in pending:
        assert_conforms(json.loads(entry["payload"]))


async def test_the_stack_hook_runs_the_seed_with_the_service_environment(store: Store, mongo_url: str) -> None:
    code = "import asyncio, inspect\nfrom catalog.seed import main\nr = main()\nif inspect.isawaitable(r):\n    asyncio.run(r)\n"
    env = {**os.environ, "MONGO_URL": mongo_url}
    for _ in range(2):
        run = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", code], env=env, cwd=REPO,
                                      capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
    assert "0 demo products added (12 already there)" in run.stdout
    assert await store.products.products.count_documents({}) == 12
