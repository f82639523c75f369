"""Demo catalogue for the local stack: a dozen fitness goods, registered through the service so their
events flow (they wait in the outbox until a running catalog relays them). Safe to run again."""

from __future__ import annotations

import asyncio
import logging

from catalog.application.errors import SkuAlreadyRegistered
from catalog.bootstrap import open_store
from catalog.domain.commands import RegisterProduct
from catalog.domain.product import Money, ProductDetails
from fitshop_common.settings import MongoSettings, mongo_settings

log = logging.getLogger(__name__)

# (sku, name, category, price in won, stock, description)
DEMO_PRODUCTS: tuple[tuple[str, str, str, int, int, str], ...] = (
    ("DUMBBELL-10KG", "덤벨 10kg", "weights", 39_000, 40, "고무 코팅 육각 덤벨 한 개"),
    ("DUMBBELL-5KG", "덤벨 5kg", "weights", 22_000, 60, "고무 코팅 육각 덤벨 한 개"),
    ("KETTLEBELL-16KG", "케틀벨 16kg", "weights", 54_000, 25, "주물 케틀벨, 넓은 손잡이"),
    ("BARBELL-PLATE-20KG", "바벨 원판 20kg", "weights", 89_000, 12, "올림픽 규격 범퍼 원판"),
    ("YOGA-MAT-8MM", "요가매트 8mm", "yoga", 29_000, 80, "미끄럼 방지 TPE 요가매트"),
    ("FOAM-ROLLER-45", "폼롤러 45cm", "recovery", 19_000, 50, "고밀도 EVA 폼롤러"),
    ("MASSAGE-BALL", "마사지볼 세트", "recovery", 12_000, 70, "땅콩볼과 스파이크볼"),
    ("RESISTANCE-BAND-SET", "저항밴드 세트", "accessories", 24_000, 90, "강도별 다섯 개"),
    ("JUMP-ROPE", "줄넘기 스피드로프", "cardio", 15_000, 100, "베어링 손잡이, 길이 조절"),
    ("PULLUP-BAR", "문틀 철봉", "accessories", 45_000, 20, "나사 없이 설치하는 문틀 철봉"),
    ("WHEY-PROTEIN-2KG", "프로틴 웨이 2kg 초코", "nutrition", 69_000, 35, "1회 30g, 단백질 24g"),
    ("SHAKER-700ML", "프로틴 쉐이커 700ml", "accessories", 9_000, 150, "스프링 볼 포함"),
)


async def seed(settings: MongoSettings) -> int:
    """Register the demo products that are not registered yet; answers how many were added."""
    added = 0
    async with open_store(settings) as store:
        for sku, name, category, price, stock, description in DEMO_PRODUCTS:
            details = ProductDetails(name, description, category, Money(price), stock)
            try:
                await store.service.register(RegisterProduct(sku, details))
                added += 1
            except SkuAlreadyRegistered:
                continue
    return added


async def main() -> None:
    added = await seed(mongo_settings())
    print(f"catalog: {added} demo products added ({len(DEMO_PRODUCTS) - added} already there)")


if __name__ == "__main__":
    asyncio.run(main())
