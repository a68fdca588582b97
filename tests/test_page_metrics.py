"""INP from event-timing entries, as web-vitals computes it (tests/page_metrics.py; no browser needed)."""

import pytest

from .page_metrics import blocking, inp_ms, interaction_durations


def event(interaction_id: int, duration: float, name: str = "pointerup") -> dict:
    return {"name": name, "entryType": "event", "interactionId": interaction_id, "duration": duration,
            "startTime": 0.0}


def test_entries_of_one_interaction_count_once_with_their_longest_duration():
    events = [event(7, 24, "pointerdown"), event(7, 40, "pointerup"), event(7, 32, "click"), event(9, 16, "keydown")]
    assert interaction_durations(events) == [40, 16]
    assert inp_ms(events) == 40


def test_entries_outside_an_interaction_do_not_count():
    assert inp_ms([event(0, 200, "mousemove")]) is None
    assert inp_ms([]) is None


@pytest.mark.parametrize(("interactions", "expected"), [
    (1, 1000),  # one interaction: it is the INP
    (49, 1000),  # under 50: the longest
    (50, 999),  # 50 to 99: the longest is forgiven
    (120, 998),  # 100 and more: one forgiven per 50
])
def test_one_interaction_in_fifty_is_forgiven(interactions, expected):
    events = [event(number, 1000 - index) for index, number in enumerate(range(1, interactions + 1))]
    assert inp_ms(events) == expected


def test_only_serious_and_critical_violations_block():
    violations = [{"id": rule, "impact": impact, "help": "", "nodes": []}
                  for rule, impact in (("a", "minor"), ("b", "moderate"), ("c", "serious"), ("d", "critical"))]
    assert [violation["id"] for violation in blocking(violations)] == ["c", "d"]
