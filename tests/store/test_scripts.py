"""The script registry: every .lua is registered, documented, and survives SCRIPT FLUSH."""
import re
from dataclasses import fields
from importlib import resources

import redis
import trio

from dre.store.scripts import LUA_PACKAGE, Scripts, _prelude_chunks, lua_source, prelude_for, script_names


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


def test_a_script_gets_the_prelude_helpers_it_uses_and_what_they_use():
    """Each script carries only the helpers of _common.lua it names, and those they name
    (defining all ~30 closures cost every call 3-5 µs of Redis CPU)."""
    assert "local function" not in prelude_for("return redis.call('INCR', KEYS[1])")
    counter = lua_source("next_counter")
    assert "local function" not in counter.split("if redis.call")[0]
    reserve = prelude_for("local c = load_code(code_keys(1), ARGV[1])")
    defined = set(re.findall(r"^local function (\w+)", reserve, re.M))
    assert defined == {"load_code", "code_keys", "hgetall"}  # load_code names hgetall
    entry = prelude_for("local e = get_entry(KEYS[1], ARGV[1], 0)")
    assert "ENTRY_KEEP_MS = " in entry  # a value a helper names (get_entry -> past_keep -> ENTRY_KEEP_MS)
    assert reserve.index("function hgetall") < reserve.index("function load_code")  # the prelude's order


def test_every_script_defines_each_helper_it_names():
    """A helper a script names but does not get would be a nil global at run time (Redis refuses
    a script's read of an undeclared global only when that line runs), so check the names here."""
    defined = {n for names, _, _ in _prelude_chunks() for n in names}
    for name in script_names():
        source = lua_source(name)
        words = set(re.findall(r"[A-Za-z_]\w*", re.sub(r"--[^\n]*", "", source)))
        for helper in defined & words:
            assert re.search(rf"^local (function )?{helper}\b|^local [\w, ]*\b{helper}\b", source, re.M), (name, helper)
