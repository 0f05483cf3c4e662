"""Rate limits: per commenter IP, per site and per caller with bad keys, counted in Redis."""

from __future__ import annotations

import dataclasses
import ipaddress

import pytest
import redis as redis_lib
from flask.testing import FlaskClient

from service.api.limits import client_address
from service.app import create_app
from service.settings import Settings
from tests.conftest import Keys
from tests.factories import comment_body

TRUSTED = [ipaddress.ip_network("10.0.0.0/8")]


def _client(settings: Settings, redis: redis_lib.Redis, **limits: str | None) -> FlaskClient:
    return create_app(dataclasses.replace(settings, **limits), redis).test_client()


def _post(client: FlaskClient, headers: dict[str, str], ip: str) -> int:
    return client.post("/v1/comments", json=comment_body(ip=ip), headers=headers).status_code


def test_one_commenter_is_stopped_and_others_are_not(
    settings: Settings, redis: redis_lib.Redis, keys: Keys
) -> None:
    client = _client(settings, redis, rate_limit_per_ip="3/minute")
    site = keys.site("news")

    flood = [_post(client, site, "203.0.113.5") for _ in range(5)]
    neighbour = _post(client, site, "203.0.113.6")
    refused = client.post("/v1/comments", json=comment_body(ip="203.0.113.5"), headers=site)

    assert flood == [202, 202, 202, 429, 429]
    assert neighbour == 202
    assert refused.json["code"] == 429 and "commenter" in refused.json["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 61


def test_limits_hold_across_api_processes(
    settings: Settings, redis: redis_lib.Redis, keys: Keys
) -> None:
    first = _client(settings, redis, rate_limit_per_ip="2/minute")
    second = _client(settings, redis, rate_limit_per_ip="2/minute")
    site = keys.site("news")

    codes = [_post(app, site, "198.51.100.1") for app in (first, second, first)]

    assert codes == [202, 202, 429]


def test_ipv6_commenters_are_counted_per_64(
    settings: Settings, redis: redis_lib.Redis, keys: Keys
) -> None:
    client = _client(settings, redis, rate_limit_per_ip="2/minute")
    site = keys.site("news")

    codes = [_post(client, site, f"2001:db8:1:2::{n}") for n in range(3)]

    assert codes == [202, 202, 429]
    assert _post(client, site, "2001:db8:1:3::1") == 202


def test_site_limit_applies_per_site(
    settings: Settings, redis: redis_lib.Redis, keys: Keys
) -> None:
    client = _client(settings, redis, rate_limit_per_site="2/minute")
    busy, other = keys.site("busy"), keys.site("other")

    codes = [_post(client, busy, f"192.0.2.{n}") for n in range(3)]

    assert codes == [202, 202, 429]
    assert _post(client, other, "192.0.2.9") == 202


def test_callers_guessing_keys_are_slowed(
    settings: Settings, redis: redis_lib.Redis, keys: Keys
) -> None:
    client = _client(settings, redis, rate_limit_auth_failures="3/minute")
    bad = {"Authorization": "Bearer modq_site_000000000000_" + "A" * 43}

    codes = [client.get("/v1/comments/" + "0" * 32, headers=bad).status_code for _ in range(4)]

    assert codes == [401, 401, 401, 429]
    assert client.get("/v1/comments/" + "0" * 32, headers=keys.site("news")).status_code == 404


@pytest.mark.parametrize(
    "remote, forwarded, expected",
    [
        ("203.0.113.1", "198.51.100.7", "203.0.113.1"),  # untrusted peer: header ignored
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),  # trusted proxy: its client
        ("10.0.0.2", "1.2.3.4, 198.51.100.7", "198.51.100.7"),  # a client-sent hop is not believed
        ("10.0.0.2", "198.51.100.7, 10.0.0.3", "198.51.100.7"),  # two trusted proxies
        ("10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_forwarded_for_is_believed_only_from_trusted_proxies(
    remote: str, forwarded: str, expected: str
) -> None:
    assert client_address(remote, forwarded, TRUSTED) == expected


def test_off_and_bad_settings() -> None:
    assert Settings.from_env({"MODQ_RATE_LIMIT_PER_IP": "off"}).rate_limit_per_ip is None
    with pytest.raises(ValueError, match="MODQ_RATE_LIMIT_PER_SITE"):
        Settings.from_env({"MODQ_RATE_LIMIT_PER_SITE": "lots"})
    with pytest.raises(ValueError, match="MODQ_TRUSTED_PROXIES"):
        Settings.from_env({"MODQ_TRUSTED_PROXIES": "10.0.0.0/8, nonsense"})
