"""The token cache: a grant is believed for at most `ttl` seconds and never past the credential's own expiry, and
grants cached in the same instant do not all expire in the same instant."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ops import auth
from ops.auth import Grant, Principal, TokenCache
from ops.db import utcnow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(auth.time, "monotonic", fake)
    return fake


def grant(i: int, valid_for: timedelta = timedelta(days=1)) -> Grant:
    return Grant(Principal(i, f"agent {i}", "agent", 1, i), utcnow() + valid_for)


def alive(cache: TokenCache, count: int) -> int:
    return sum(cache.get(f"d{i}") is not None for i in range(count))


def test_grants_cached_together_expire_spread_over_the_second_half_of_the_ttl(clock: Clock) -> None:
    cache = TokenCache(ttl=10.0)
    for i in range(200):
        cache.put(f"d{i}", grant(i))
    clock.now += 4.999
    assert alive(cache, 200) == 200, "every grant is believed for at least half the ttl"
    clock.now += 2.5  # 7.5 s after: some were read again by now, not all (with 200, never all or none by chance)
    assert 0 < alive(cache, 200) < 200
    clock.now += 2.502  # just past the ttl
    assert alive(cache, 200) == 0, "no grant is believed past the ttl: a revocation reaches every process by then"
    assert cache.entries == {}


def test_a_grant_is_never_believed_past_the_credentials_expiry(clock: Clock) -> None:
    cache = TokenCache(ttl=3600.0)
    cache.put("brief", grant(1, valid_for=timedelta(seconds=-1)))
    assert cache.get("brief") is None
    cache.put("good", grant(2))
    assert cache.get("good") == grant(2).principal
    cache.forget("good")
    assert cache.get("good") is None
