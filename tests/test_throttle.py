"""The per-shop budget of Shopify's cost bucket (SPEC §12): its arithmetic on an injected clock,
and the same estimate shared through Redis and through the database by separate store objects
(as separate processes would hold them), atomically under contention."""

import threading

import pytest
import redis
from sqlalchemy import create_engine

from shopify_app.admin_api.budget_stores import DatabaseBudget, RedisBudget
from shopify_app.admin_api.throttle import INFLIGHT_TTL, MemoryBudget, Throttle
from shopify_app.extensions import db

from .builders import SHOP


class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


STATUS = {"maximumAvailable": 1000, "currentlyAvailable": 5, "restoreRate": 50}


def memory_throttle(clock=None) -> Throttle:
    return Throttle(store=MemoryBudget(clock or Clock()))


# ------------------------------------------------------------------ the arithmetic (one process)


def test_an_unknown_shop_never_waits_and_reserves_nothing():
    throttle = memory_throttle()
    assert throttle.reserve(SHOP, 500) == (0.0, 0.0)
    assert throttle.delay_for(SHOP, 500) == 0.0
    assert throttle.delay_for(SHOP, 0) == 0.0


def test_the_delay_is_what_the_bucket_lacks_over_the_restore_rate_and_shrinks_with_time():
    clock = Clock()
    throttle = memory_throttle(clock)
    throttle.observe(SHOP, STATUS)
    assert throttle.delay_for(SHOP, 105) == pytest.approx(2.0)
    assert throttle.delay_for(SHOP, 5) == 0.0
    clock.now += 1.5
    assert throttle.delay_for(SHOP, 105) == pytest.approx(0.5)
    clock.now += 0.5
    assert throttle.delay_for(SHOP, 105) == 0.0


def test_the_bucket_never_refills_beyond_its_maximum_and_a_huge_cost_waits_for_a_full_bucket():
    clock = Clock()
    throttle = memory_throttle(clock)
    throttle.observe(SHOP, {"maximumAvailable": 100, "currentlyAvailable": 0, "restoreRate": 10})
    assert throttle.delay_for(SHOP, 5000) == pytest.approx(10.0)  # capped at the bucket size, not 500 s
    clock.now += 3600
    assert throttle.reserve(SHOP, 100) == (0.0, 100)  # a full bucket (100, not 36 000) minus 100
    assert throttle.delay_for(SHOP, 10) == pytest.approx(1.0)


def test_reservations_queue_behind_each_other():
    """Each caller is told to wait for the points the callers before it reserved."""
    throttle = memory_throttle()
    throttle.observe(SHOP, {"maximumAvailable": 1000, "currentlyAvailable": 100, "restoreRate": 50})
    assert throttle.reserve(SHOP, 60) == (0.0, 60)
    assert throttle.reserve(SHOP, 60)[0] == pytest.approx(0.4)  # 40 left, 20 missing
    assert throttle.reserve(SHOP, 60)[0] == pytest.approx(1.6)  # -20 left, 80 missing
    assert throttle.delay_for(SHOP, 0) == pytest.approx(1.6)  # -80 left: 1.6 s until nobody is waiting


def test_an_answer_replaces_the_estimate_once_its_own_reservation_is_settled():
    throttle = memory_throttle()
    throttle.observe(SHOP, STATUS)
    _, reserved = throttle.reserve(SHOP, 500)
    throttle.observe(SHOP, {**STATUS, "currentlyAvailable": 1000}, reserved)
    assert throttle.delay_for(SHOP, 1000) == 0.0


def test_an_answer_keeps_the_reservations_of_calls_still_in_flight():
    """Worker A's answer does not include B's call, which is reserved but not sent yet: the new
    estimate is Shopify's number minus B's points, so B's reservation is not given away twice."""
    throttle = memory_throttle()
    throttle.observe(SHOP, {"maximumAvailable": 100, "currentlyAvailable": 100, "restoreRate": 10})
    _, a = throttle.reserve(SHOP, 60)
    throttle.reserve(SHOP, 30)  # B: reserved, in flight
    throttle.observe(SHOP, {"maximumAvailable": 100, "currentlyAvailable": 40, "restoreRate": 10}, a)
    assert throttle.delay_for(SHOP, 20) == pytest.approx(1.0)  # 40 − 30 = 10 left, 10 missing


def test_a_call_that_got_no_answer_stops_counting_as_in_flight():
    throttle = memory_throttle()
    throttle.observe(SHOP, {"maximumAvailable": 100, "currentlyAvailable": 100, "restoreRate": 10})
    _, reserved = throttle.reserve(SHOP, 50)
    throttle.release(SHOP, reserved)
    throttle.observe(SHOP, {"maximumAvailable": 100, "currentlyAvailable": 100, "restoreRate": 10})
    assert throttle.delay_for(SHOP, 100) == 0.0


def test_reservations_of_callers_that_died_are_forgotten_after_the_ttl():
    clock = Clock()
    throttle = memory_throttle(clock)
    throttle.observe(SHOP, {"maximumAvailable": 100, "currentlyAvailable": 100, "restoreRate": 10})
    throttle.reserve(SHOP, 50)  # its caller dies: no answer, no release
    clock.now += INFLIGHT_TTL + 1
    throttle.observe(SHOP, {"maximumAvailable": 100, "currentlyAvailable": 100, "restoreRate": 10})
    assert throttle.delay_for(SHOP, 100) == 0.0


def test_shops_have_separate_buckets():
    throttle = memory_throttle()
    throttle.observe(SHOP, STATUS)
    assert throttle.delay_for("other.myshopify.com", 105) == 0.0
    assert throttle.delay_for(SHOP, 105) == pytest.approx(2.0)


@pytest.mark.parametrize("status", [None, "throttled", {}, {"maximumAvailable": 1000},
                                    {**STATUS, "restoreRate": "fast"}, {**STATUS, "currentlyAvailable": None}])
def test_malformed_throttle_status_is_ignored(status):
    throttle = memory_throttle()
    throttle.observe(SHOP, STATUS)
    throttle.observe(SHOP, status)
    assert throttle.delay_for(SHOP, 105) == pytest.approx(2.0)  # the previous estimate stands


def test_a_zero_restore_rate_does_not_divide_by_zero():
    throttle = memory_throttle()
    throttle.observe(SHOP, {**STATUS, "restoreRate": 0})
    assert throttle.delay_for(SHOP, 105) == 0.0
    assert throttle.delay_for(SHOP, 0) == 0.0


# ------------------------------------------------------------------ shared between processes


@pytest.fixture(params=["redis", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def two_processes(request):
    """Two Throttles over two separate store objects (own connections) on one shared backend."""
    if request.param == "redis":
        url, prefix = request.getfixturevalue("redis_prefix")
        clients = [redis.Redis.from_url(url) for _ in range(2)]
        yield [Throttle(store=RedisBudget(client, prefix)) for client in clients]
        for client in clients:
            client.close()
        return
    app = request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")
    with app.app_context():
        url = db.engine.url
    engines = [create_engine(url) for _ in range(2)]
    yield [Throttle(store=DatabaseBudget(engine)) for engine in engines]
    for engine in engines:
        engine.dispose()


def test_a_reservation_made_by_one_process_makes_the_other_wait(two_processes):
    first, second = two_processes
    first.observe(SHOP, {"maximumAvailable": 100, "currentlyAvailable": 100, "restoreRate": 10})
    assert first.reserve(SHOP, 60) == (0.0, 60)
    delay, reserved = second.reserve(SHOP, 60)
    assert reserved == 60 and delay == pytest.approx(2.0, abs=0.1)  # 40 left, 20 missing at 10/s
    assert first.delay_for(SHOP, 0) == pytest.approx(2.0, abs=0.1)
    assert second.delay_for("other.myshopify.com", 60) == 0.0


def test_an_answer_seen_by_one_process_is_the_estimate_of_the_other(two_processes):
    first, second = two_processes
    first.observe(SHOP, {"maximumAvailable": 200, "currentlyAvailable": 0, "restoreRate": 50})
    assert second.delay_for(SHOP, 100) == pytest.approx(2.0, abs=0.1)


def test_concurrent_reservations_from_many_connections_are_all_counted(two_processes):
    """8 threads × 25 reservations of 1 point, through both store objects: none is lost (Redis
    retries a transaction another client got in first; the database serialises on the row)."""
    first, second = two_processes
    first.observe(SHOP, {"maximumAvailable": 1000, "currentlyAvailable": 1000, "restoreRate": 0.001})
    errors = []

    def spend(throttle):
        try:
            for _ in range(25):
                throttle.reserve(SHOP, 1)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=spend, args=(first if i % 2 else second,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    # 200 reserved, 800 left: a 900-point call lacks 100 points at 0.001/s.
    assert first.delay_for(SHOP, 900) == pytest.approx(100 / 0.001, rel=0.01)


def test_without_redis_url_the_app_shares_the_budget_through_its_database(app):
    from shopify_app.admin_api.budget_stores import ApiBudget, store_for_app
    from shopify_app.admin_api.throttle import throttle

    with app.app_context():
        assert isinstance(store_for_app().store, DatabaseBudget)
        throttle.observe(SHOP, {"maximumAvailable": 100, "currentlyAvailable": 40, "restoreRate": 10})
        row = db.session.get(ApiBudget, SHOP)
        assert (row.maximum, row.available, row.restore_rate) == (100, 40, 10)


def test_with_redis_url_the_app_shares_the_budget_through_redis(redis_prefix, tmp_path):
    from shopify_app import create_app
    from shopify_app.admin_api.budget_stores import store_for_app
    from shopify_app.admin_api.throttle import throttle

    from .conftest import base_config

    url, prefix = redis_prefix
    app = create_app({**base_config(f"sqlite:///{tmp_path}/unused.sqlite3"), "REDIS_URL": url,
                      "REDIS_KEY_PREFIX": prefix})
    with app.app_context():
        assert isinstance(store_for_app().store, RedisBudget)
        throttle.observe(SHOP, {"maximumAvailable": 100, "currentlyAvailable": 40, "restoreRate": 10})
    stored = redis.Redis.from_url(url).hgetall(f"{prefix}api-budget:{SHOP}")
    assert float(stored[b"available"]) == 40 and float(stored[b"maximum"]) == 100


def test_an_unreachable_redis_falls_back_to_this_process_and_says_so(tmp_path, caplog):
    from shopify_app import create_app
    from shopify_app.admin_api.throttle import throttle

    from .conftest import base_config

    app = create_app({**base_config(f"sqlite:///{tmp_path}/unused.sqlite3"),
                      "REDIS_URL": "redis://127.0.0.1:1/0"})  # nothing listens on port 1
    with app.app_context():
        throttle.observe(SHOP, {"maximumAvailable": 100, "currentlyAvailable": 0, "restoreRate": 10})
        assert throttle.delay_for(SHOP, 50) == pytest.approx(5.0, abs=0.1)
    assert "shared API budget unavailable" in caplog.text
