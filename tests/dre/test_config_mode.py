"""dre.config: the deployment mode (DRE_MODE) and a local instance's link to central."""
from __future__ import annotations

import pytest

from dre.config import CENTRAL, LOCAL, load_config
from dre.errors import DREError

LOCAL_ENV = {"DRE_MODE": "local", "DRE_CENTRAL_URL": "https://central.example:8443/", "DRE_CENTRAL_KEY": "hq-key"}


def test_central_is_the_default_and_ignores_the_central_settings():
    config = load_config({"DRE_CENTRAL_URL": "http://x", "DRE_CENTRAL_KEY": "k"})
    assert (config.mode, config.local, config.central_url, config.central_key) == (CENTRAL, False, None, None)


def test_local_mode_from_the_environment_or_flags():
    config = load_config(LOCAL_ENV)
    assert (config.mode, config.local) == (LOCAL, True)
    assert (config.central_url, config.central_key) == ("https://central.example:8443", "hq-key")
    flags = load_config({}, mode="LOCAL", central_url="http://127.0.0.1:8080", central_key="k")
    assert (flags.mode, flags.central_url) == (LOCAL, "http://127.0.0.1:8080")


def test_a_confirm_waits_a_short_while_for_centrals_verdict():
    assert load_config(LOCAL_ENV).central_confirm_ms == 300
    assert load_config({**LOCAL_ENV, "DRE_CENTRAL_CONFIRM_MS": "800"}).central_confirm_ms == 800
    with pytest.raises(DREError, match="DRE_CENTRAL_CONFIRM_MS"):
        load_config({**LOCAL_ENV, "DRE_CENTRAL_CONFIRM_MS": "0"})


@pytest.mark.parametrize("env, says", [
    ({"DRE_MODE": "store"}, "--mode / DRE_MODE: 'store' is not central or local"),
    ({**LOCAL_ENV, "DRE_CENTRAL_URL": ""}, "--central-url / DRE_CENTRAL_URL: required with --mode / DRE_MODE local"),
    ({**LOCAL_ENV, "DRE_CENTRAL_KEY": ""}, "--central-key / DRE_CENTRAL_KEY: required with --mode / DRE_MODE local"),
    ({**LOCAL_ENV, "DRE_CENTRAL_URL": "redis://h"}, "--central-url / DRE_CENTRAL_URL: 'redis://h' is not an http://"),
    ({**LOCAL_ENV, "DRE_CENTRAL_URL": "http://"}, "is not an http:// or https:// URL"),
    ({**LOCAL_ENV, "DRE_WORKERS": "2"}, "--workers / DRE_WORKERS: a local instance runs one worker, not 2"),
])
def test_bad_deployment_settings_are_refused_with_one_line(env, says):
    with pytest.raises(DREError) as exc:
        load_config(env)
    assert exc.value.status == 400 and says in exc.value.message, exc.value.message


def test_lease_fraction_is_a_share_from_0_to_1():
    assert load_config({}).lease_fraction == 0.1
    assert load_config({"DRE_LEASE_FRACTION": "0.3"}).lease_fraction == 0.3
    for bad in ("1.5", "-0.1", "x", "nan"):
        with pytest.raises(DREError) as exc:
            load_config({"DRE_LEASE_FRACTION": bad})
        assert exc.value.message.startswith("DRE_LEASE_FRACTION: ") and "a number from 0 to 1" in exc.value.message


def test_lease_ttl_and_grace_are_seconds_above_0():
    assert (load_config({}).lease_ttl_s, load_config({}).lease_grace_s) == (86400.0, 3600.0)
    config = load_config({"DRE_LEASE_TTL_S": "2", "DRE_LEASE_GRACE_S": "0.5"})
    assert (config.lease_ttl_s, config.lease_grace_s) == (2.0, 0.5)
    for name in ("DRE_LEASE_TTL_S", "DRE_LEASE_GRACE_S"):
        for bad in ("0", "-1", "x"):
            with pytest.raises(DREError) as exc:
                load_config({name: bad})
            assert exc.value.message.startswith(f"{name}: ") and "seconds above 0" in exc.value.message
