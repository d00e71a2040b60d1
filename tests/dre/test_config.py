"""dre.config: every setting is checked when the configuration is loaded; a bad value raises
DREError with one line naming the flag, the environment variable and what is allowed."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from dre.config import DEFAULT_MAX_BODY, DEFAULT_MAX_IMPORT, ApiKey, Config, check_promotions, load_config, redacted
from dre.errors import DREError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_defaults_without_any_setting():
    config = load_config({})
    assert config == Config(api_keys={"dev-key": ApiKey("default", "admin")})
    assert (config.max_body_bytes, config.max_import_bytes) == (DEFAULT_MAX_BODY, DEFAULT_MAX_IMPORT)


def test_valid_values_from_the_environment(tmp_path):
    promos = EXAMPLES / "promotions.json"
    config = load_config({
        "DRE_HOST": "0.0.0.0", "DRE_PORT": "65535", "DRE_WORKERS": "4", "DRE_SHARDS": "2",
        "DRE_API_KEYS": "acme:k1, globex:k2", "DRE_REDIS_URL": "rediss://u:p@redis.example:6380/3",
        "DRE_DATA_DIR": str(tmp_path), "DRE_PROMOTIONS_FILE": str(promos), "DRE_MAX_BODY_BYTES": " 2048 ",
        "DRE_MAX_IMPORT_BYTES": "1000", "DRE_JOB_RUNNERS": "0", "DRE_JOB_LEASE_S": "0.5",
        "DRE_PRICE_DEADLINE_MS": "400", "DRE_KERNEL_START": "Wait"})
    keys = {"k1": ApiKey("acme"), "k2": ApiKey("globex")}  # POS keys
    assert config == Config(host="0.0.0.0", port=65535, workers=4, shards=2, api_keys=keys,
                            redis_url="rediss://u:p@redis.example:6380/3", data_dir=tmp_path, promotions_file=promos,
                            max_body_bytes=2048, max_import_bytes=1000, job_runners=0, job_lease_s=0.5,
                            price_deadline_ms=400, kernel_start="wait")


@pytest.mark.parametrize("url", ["redis://localhost", "redis://127.0.0.1:6379/0", "redis://:secret@h:1/15",
                                 "unix:///run/redis.sock", "unix:///run/redis.sock?db=2"])
def test_redis_urls_the_store_can_use(url):
    assert load_config({"DRE_REDIS_URL": url}).redis_url == url


def test_flags_win_over_the_environment_and_may_be_text_or_values():
    env = {"DRE_PORT": "abc", "DRE_WORKERS": "x"}  # not read: the flags are given
    config = load_config(env, port="9000", workers=3, shards=None)
    assert (config.port, config.workers, config.shards) == (9000, 3, 1)


def test_empty_variables_count_as_unset():
    config = load_config({"DRE_PORT": "", "DRE_REDIS_URL": "", "DRE_PROMOTIONS_FILE": "", "DRE_API_KEYS": ""})
    assert (config.port, config.redis_url, config.promotions_file) == (8080, None, None)


# setting (flag name or None), environment variable, bad value, what the message says is allowed
BAD = [
    ("port", "DRE_PORT", "abc", "a whole number from 1 to 65535"),
    ("port", "DRE_PORT", "-1", "a whole number from 1 to 65535"),
    ("port", "DRE_PORT", "0", "a whole number from 1 to 65535"),
    ("port", "DRE_PORT", "99999", "a whole number from 1 to 65535"),
    ("port", "DRE_PORT", "80.5", "a whole number from 1 to 65535"),
    ("workers", "DRE_WORKERS", "x", "a whole number >= 1"),
    ("workers", "DRE_WORKERS", "0", "a whole number >= 1"),
    ("shards", "DRE_SHARDS", "0", "a whole number >= 1"),
    ("shards", "DRE_SHARDS", "two", "a whole number >= 1"),
    (None, "DRE_MAX_BODY_BYTES", "1MiB", "a whole number of bytes >= 1"),
    (None, "DRE_MAX_BODY_BYTES", "0", "a whole number of bytes >= 1"),
    (None, "DRE_MAX_IMPORT_BYTES", "512M", "a whole number of bytes >= 1"),
    (None, "DRE_MAX_IMPORT_BYTES", "-5", "a whole number of bytes >= 1"),
    (None, "DRE_JOB_RUNNERS", "-1", "a whole number >= 0"),
    (None, "DRE_JOB_RUNNERS", "many", "a whole number >= 0"),
    (None, "DRE_JOB_LEASE_S", "x", "a number of seconds above 0"),
    (None, "DRE_JOB_LEASE_S", "0", "a number of seconds above 0"),
    (None, "DRE_JOB_LEASE_S", "nan", "a number of seconds above 0"),
    (None, "DRE_JOB_LEASE_S", "inf", "a number of seconds above 0"),
    (None, "DRE_PRICE_DEADLINE_MS", "0", "a whole number of milliseconds from 1 to 60000"),
    (None, "DRE_PRICE_DEADLINE_MS", "0.25", "a whole number of milliseconds from 1 to 60000"),
    (None, "DRE_PRICE_DEADLINE_MS", "600000", "a whole number of milliseconds from 1 to 60000"),
    (None, "DRE_KERNEL_START", "later", "background or wait"),
    ("redis_url", "DRE_REDIS_URL", "notaurl", "a Redis URL"),
    ("redis_url", "DRE_REDIS_URL", "http://localhost:6379", "a Redis URL"),
    ("redis_url", "DRE_REDIS_URL", "redis://", "a Redis URL"),
    ("redis_url", "DRE_REDIS_URL", "redis://h:99999", "a Redis URL"),
    ("redis_url", "DRE_REDIS_URL", "redis://h:port", "a Redis URL"),
    ("redis_url", "DRE_REDIS_URL", "redis://h:6379/zero", "a Redis URL"),
    ("redis_url", "DRE_REDIS_URL", "unix://", "a Redis URL"),
    ("host", "DRE_HOST", "local host", "a host name or IP address"),
    ("api_keys", "DRE_API_KEYS", "nokey", "is not tenant:key"),
    ("api_keys", "DRE_API_KEYS", ",", "names no key"),
    ("promotions_file", "DRE_PROMOTIONS_FILE", "/no/such/promotions.json", "is not a readable file (not there)"),
    ("promotions_file", "DRE_PROMOTIONS_FILE", str(EXAMPLES), "is not a readable file (a directory)"),
]


def _expect_bad(setting: str | None, var: str, allowed: str, **load) -> str:
    with pytest.raises(DREError) as exc:
        load_config(**load)
    err = exc.value
    name = f"--{setting.replace('_', '-')} / {var}" if setting else var
    assert err.status == 400 and err.code == "INVALID_INPUT"
    assert err.message.startswith(name + ": ") and allowed in err.message, err.message
    assert "\n" not in err.message
    return err.message


@pytest.mark.parametrize("setting, var, value, allowed", BAD)
def test_a_bad_environment_variable_names_flag_variable_and_what_is_allowed(setting, var, value, allowed):
    message = _expect_bad(setting, var, allowed, env={var: value})
    if setting != "api_keys":  # (a key is not repeated in a message)
        assert repr(value) in message


@pytest.mark.parametrize("setting, var, value, allowed", [b for b in BAD if b[0] is not None])
def test_a_bad_flag_gets_the_same_message(setting, var, value, allowed):
    _expect_bad(setting, var, allowed, env={}, **{setting: value})


def test_data_dir_that_is_a_file_is_refused_for_the_embedded_redis(tmp_path):
    path = tmp_path / "afile"
    path.write_text("")
    _expect_bad("data_dir", "DRE_DATA_DIR", "is not a directory", env={"DRE_DATA_DIR": str(path)})
    assert load_config({"DRE_DATA_DIR": str(path), "DRE_REDIS_URL": "redis://h"}).data_dir == path  # not used


def test_unreadable_promotions_file_is_refused(tmp_path):
    path = tmp_path / "promotions.json"
    path.write_text("[]")
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("running as root: every file is readable")
    _expect_bad("promotions_file", "DRE_PROMOTIONS_FILE", "permission denied", env={"DRE_PROMOTIONS_FILE": str(path)})


def test_a_password_in_a_bad_redis_url_is_not_shown():
    message = _expect_bad("redis_url", "DRE_REDIS_URL", "a Redis URL", env={"DRE_REDIS_URL": "redis://u:s3cret@h:x"})
    assert "s3cret" not in message and "redis://u:***@h:x" in message
    assert redacted("redis://:pw@host:1/0") == "redis://:***@host:1/0"
    assert redacted("redis://host:1/0") == "redis://host:1/0"


@pytest.mark.parametrize("content, says", [
    (b"{not json", "not JSON"),
    (b'[{"id": "P1"}]', "promotions[0]"),
    (b'{"promotions": 3}', "promotions"),
])
def test_check_promotions_names_the_setting(tmp_path, content, says):
    path = tmp_path / "promotions.json"
    path.write_bytes(content)
    with pytest.raises(DREError) as exc:
        check_promotions(path)
    assert exc.value.message.startswith("--promotions-file / DRE_PROMOTIONS_FILE: ")
    assert says in exc.value.message or any(says in d.path for d in exc.value.details)


def test_check_promotions_accepts_the_example():
    check_promotions(EXAMPLES / "promotions.json")
