"""The script registry: every .lua is registered, documented, and survives SCRIPT FLUSH."""
import re
from dataclasses import fields
from importlib import resources

import redis
import trio

from dre.store.scripts import LUA_PACKAGE, Scripts, script_names


def test_every_lua_file_has_a_typed_attribute():
    assert script_names() == sorted(f.name for f in fields(Scripts))


def test_every_script_header_lists_keys_and_argv_and_returns():
    root = resources.files(LUA_PACKAGE)
    for name in script_names():
        text = root.joinpath(f"{name}.lua").read_text()
        header = "\n".join(line for line in text.splitlines() if line.startswith("--"))
        assert re.search(r"KEYS\[(1|1\.\.n)\]", header), name
        assert "ARGV[1]" in header, name
        assert "Returns" in header, name


def test_all_scripts_compile_on_the_server(redis_url):
    client = redis.Redis.from_url(redis_url)
    scripts = Scripts.register(client)
    shas = [getattr(scripts, f.name).sha for f in fields(Scripts)]
    for f in fields(Scripts):
        client.script_load(getattr(scripts, f.name).script)
    assert all(client.script_exists(*shas))


async def test_noscript_recovery_after_script_flush(store, tenant):
    assert await store.transactions.next_counter(tenant, "T1", "{}") == 1
    store.core.client.script_flush()
    assert await store.transactions.next_counter(tenant, "T1", "{}") == 2
    # and again, with a whole batch in flight after the flush
    store.core.client.script_flush()
    results = []

    async def one(i):
        results.append(await store.transactions.next_counter(tenant, f"X{i}", "{}"))

    async with trio.open_nursery() as n:
        for i in range(50):
            n.start_soon(one, i)
    assert results == [1] * 50
