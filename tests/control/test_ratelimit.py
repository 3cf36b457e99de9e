"""Token buckets, for one sender and per sender."""

from livedance.control.ratelimit import PerSender, RateLimit


def test_the_rate_limit_refills():
    now = [0.0]
    limit = RateLimit(rate=10, burst=2, clock=lambda: now[0])
    assert [limit.allow() for _ in range(3)] == [True, True, False]
    now[0] += 0.1
    assert limit.allow() and not limit.allow()


def test_each_sender_has_its_own_bucket():
    now = [0.0]
    limits = PerSender(rate=1, burst=1, clock=lambda: now[0])
    assert limits.allow("a") and not limits.allow("a")
    assert limits.allow("b")


def test_spoofed_senders_cannot_grow_the_table_without_bound():
    limits = PerSender(rate=1, burst=1, most=8)
    for k in range(100):
        limits.allow(f"10.0.0.{k}")
    assert len(limits._limits) <= 8
