"""A restart with the same promotion file: the file is neither validated again (the promotion
cache knows it: dre.promotion.cache) nor sent to the store again (its promotions were written)."""
from __future__ import annotations

import orjson

from actors.store_ops.promotions import Promotions
from api.worker import open_services
from dre.promotion import rules_file
from tests.api.conftest import TENANT, make_config

GATED = {"id": "FC", "name": "2.00 off with FILE26", "type": "ARTICLE",
         "actions": [{"type": "ARTICLE", "values": ["R1"], "amountOff": 2.0}]}


async def test_a_restart_neither_validates_nor_seeds_the_file_again(redis_url, tmp_path, monkeypatch):
    path = tmp_path / "promotions.json"
    path.write_bytes(orjson.dumps({"promotions": [GATED], "couponTypes": [
        {"id": "FILE", "type": "GENERIC", "code": "FILE26", "promotionIds": ["FC"]}]}))
    config = make_config(DRE_PROMOTIONS_FILE=str(path), DRE_DATA_DIR=str(tmp_path / "data"))
    async with open_services(config, redis_url, warm_up=False) as services:
        first = services.static_coupons[TENANT]
        assert [p.id for p in services.engine.current(TENANT).ranked] == ["FC"]
    seeds = []

    async def seed(self, tenant, documents):
        seeds.append(tenant)
        return 0

    def no_parse(*_):
        raise AssertionError("the file was validated again")

    monkeypatch.setattr(Promotions, "seed", seed)
    monkeypatch.setattr(rules_file, "rules_from_json", no_parse)
    rules_file._LAST.clear()
    async with open_services(config, redis_url, warm_up=False) as services:
        assert services.static_coupons[TENANT] == first  # the file's GENERIC code, from the cache
        assert [p.id for p in services.engine.current(TENANT).ranked] == ["FC"]  # the store's rules
    assert seeds == []
