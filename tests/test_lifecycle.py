"""The pure lifecycle rules (SPEC §2), without Flask or a database."""

import pytest

from shopify_app.errors import InvalidTransition, ReadOnly, ValidationFailed
from shopify_app.production import lifecycle
from shopify_app.production.lifecycle import Action, OrderStatus, SyncSettings

LOC = "gid://shopify/Location/1"


@pytest.mark.parametrize("status, actions, editable", [
    ("draft", ["start", "cancel"], True),
    ("in_progress", ["complete", "cancel"], True),
    ("completed", [], False),
    ("cancelled", [], False),
])
def test_status_table_gives_actions_and_editability(status, actions, editable):
    assert lifecycle.available_actions(status) == actions
    assert lifecycle.is_editable(status) is editable


@pytest.mark.parametrize("status, action, expected", [
    ("draft", Action.START, OrderStatus.IN_PROGRESS),
    ("draft", Action.CANCEL, OrderStatus.CANCELLED),
    ("in_progress", Action.COMPLETE, OrderStatus.COMPLETED),
    ("in_progress", Action.CANCEL, OrderStatus.CANCELLED),
])
def test_allowed_transitions_lead_to_their_status(status, action, expected):
    assert lifecycle.next_status(status, action) is expected


@pytest.mark.parametrize("status, action", [
    ("in_progress", Action.START), ("completed", Action.START), ("cancelled", Action.START),
    ("draft", Action.COMPLETE), ("completed", Action.COMPLETE), ("cancelled", Action.COMPLETE),
    ("completed", Action.CANCEL), ("cancelled", Action.CANCEL),
])
def test_every_other_transition_is_refused(status, action):
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.next_status(status, action)
    assert refused.value.status == 409


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_finished_orders_are_read_only(status):
    with pytest.raises(ReadOnly):
        lifecycle.ensure_editable(status)


@pytest.mark.parametrize("status", ["draft", "completed", "cancelled"])
def test_produced_quantity_is_recorded_only_in_progress(status):
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.ensure_can_record_produced(status, "quantityProduced")
    assert "quantityProduced" in refused.value.details
    lifecycle.ensure_can_record_produced("in_progress", "quantityProduced")


def test_start_takes_the_shop_default_flag_only_when_the_order_has_none():
    assert lifecycle.resolve_at_start(SyncSettings(None, LOC), True, None).sync is True
    assert lifecycle.resolve_at_start(SyncSettings(None, LOC), False, None).sync is False
    assert lifecycle.resolve_at_start(SyncSettings(False, LOC), True, None).sync is False


def test_start_takes_the_shop_default_location_only_when_the_order_has_none():
    other = "gid://shopify/Location/2"
    assert lifecycle.resolve_at_start(SyncSettings(False, None), False, other).location_id == other
    assert lifecycle.resolve_at_start(SyncSettings(False, LOC), False, other).location_id == LOC


def test_start_refuses_an_order_that_would_sync_with_no_location():
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.resolve_at_start(SyncSettings(None, None), True, None)
    assert "locationId" in refused.value.details


def test_an_order_that_does_not_sync_may_start_without_a_location():
    assert lifecycle.resolve_at_start(SyncSettings(None, None), False, None) == SyncSettings(False, None)


@pytest.mark.parametrize("sync, location", [(None, LOC), (True, None)])
def test_in_progress_sync_fields_must_stay_consistent(sync, location):
    with pytest.raises(ValidationFailed):
        lifecycle.check_sync_fields("in_progress", sync, location)


def test_drafts_may_leave_the_sync_flag_unset():
    lifecycle.check_sync_fields("draft", None, None)
    lifecycle.check_sync_fields("draft", True, None)


@pytest.mark.parametrize("status, started", [("draft", None), ("cancelled", None)])
def test_sync_retry_is_refused_where_nothing_is_ever_pushed(status, started):
    with pytest.raises(InvalidTransition):
        lifecycle.ensure_sync_retry_allowed(status, started)


@pytest.mark.parametrize("status", ["completed", "cancelled", "in_progress"])
def test_sync_retry_is_allowed_after_production_started(status):
    lifecycle.ensure_sync_retry_allowed(status, started_at="2026-11-27T00:00:00Z")
