"""The exit queue's order is exact, even where the fast integer key cannot tell."""

from __future__ import annotations

from heapq import heappop, heappush

from profitpool.engine.lots import KEY_SCALE, make_trigger


def entry(numerator: int, denominator: int, origin: int) -> tuple[object, ...]:
    trigger = make_trigger(numerator, denominator)
    return (trigger[0] * KEY_SCALE // trigger[1], trigger, origin, origin, origin)


def test_triggers_sharing_an_integer_key_are_ordered_exactly() -> None:
    big = 10**45
    smaller = entry(big + 1, big, origin=2)  # 1 + 1e-45
    larger = entry(big + 2, big, origin=1)  # 1 + 2e-45: older, but a higher trigger
    assert smaller[0] == larger[0]
    queue: list[tuple[object, ...]] = []
    heappush(queue, larger)
    heappush(queue, smaller)
    assert heappop(queue) is smaller


def test_equal_triggers_in_other_terms_tie_and_go_oldest_first() -> None:
    young = entry(6, 4, origin=7)
    old = entry(3, 2, origin=3)
    assert young[1] == old[1]  # reduced: the same fraction, the same tuple
    queue: list[tuple[object, ...]] = []
    heappush(queue, young)
    heappush(queue, old)
    assert heappop(queue) is old
