"""DRE_API_KEYS: `tenant:key` is a POS key, `tenant:key:admin` an admin key; the default
development key (an admin key) is served on loopback only."""
from __future__ import annotations

import pytest

from dre.config import ADMIN, DEFAULT_KEYS, POS, ApiKey, is_loopback, load_config, parse_api_keys
from dre.errors import DREError

LABEL = "--api-keys / DRE_API_KEYS: "


def refused(env: dict[str, str], **flags: object) -> str:
    with pytest.raises(DREError) as exc:
        load_config(env, **flags)
    err = exc.value
    assert (err.status, err.code) == (400, "INVALID_INPUT") and "\n" not in err.message
    return err.message


def test_entries_with_and_without_the_admin_role():
    keys = parse_api_keys("acme:k1, acme:k2:admin,globex:k3")
    assert keys == {"k1": ApiKey("acme", POS), "k2": ApiKey("acme", ADMIN), "k3": ApiKey("globex", POS)}
    assert [k.admin for k in keys.values()] == [False, True, False]
    assert load_config({"DRE_API_KEYS": "acme:k1,globex:k3,acme:k2:admin"}).tenants == ("acme", "globex")


def test_the_default_key_is_an_admin_key_of_tenant_default():
    assert DEFAULT_KEYS == "default:dev-key:admin"
    config = load_config({})
    assert config.api_keys == {"dev-key": ApiKey("default", ADMIN)} and config.first_tenant == "default"


@pytest.mark.parametrize("entry", ["acme:k:ADMIN", "acme:k:pos", "acme:k:root", "acme:k:admin:x", "acme:k:", ":k",
                                   "acme:", "acme::admin"])
def test_a_malformed_entry_is_refused(entry):
    message = refused({"DRE_API_KEYS": f"ok:fine,{entry}"})
    assert message == f"{LABEL}entry {entry!r} is not tenant:key or tenant:key:admin"


@pytest.mark.parametrize("spec", ["acme:k,globex:k", "acme:k,acme:k:admin", "acme:k:admin,acme:k"])
def test_a_key_listed_twice_with_another_tenant_or_role_is_refused(spec):
    message = refused({"DRE_API_KEYS": spec})
    assert message.startswith(LABEL) and "listed twice" in message
    assert "'k'" not in message  # the key itself is not logged


def test_the_same_entry_twice_is_fine():
    assert parse_api_keys("acme:k:admin,acme:k:admin") == {"k": ApiKey("acme", ADMIN)}


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_the_default_key_is_served_on_loopback(host):
    assert is_loopback(host)
    assert load_config({"DRE_HOST": host}).api_keys["dev-key"].admin


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "dre.example.com"])
def test_the_default_key_is_refused_on_any_other_address(host):
    assert not is_loopback(host)
    message = refused({"DRE_HOST": host})
    assert message == (f"{LABEL}the development key 'dev-key' (the default) is served on loopback only "
                       f"(127.0.0.1, ::1, localhost), not on --host / DRE_HOST {host!r}: set keys of your own")
    assert refused({}, host=host) == message  # the flag too
    # also when DRE_API_KEYS names it: the key is public (README)
    assert refused({"DRE_HOST": host, "DRE_API_KEYS": "acme:k1,default:dev-key"}) == message
    assert load_config({"DRE_HOST": host, "DRE_API_KEYS": "acme:k1"}).host == host  # own keys: fine
