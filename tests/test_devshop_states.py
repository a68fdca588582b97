"""The fake Shopify's inventory states (SPEC §10): `incoming` and `quality_control` adjusted with a
ledger document, Shopify's ledger document rules, and `inventoryMoveQuantities` with @idempotent."""

import uuid

import pytest

from shopify_app.admin_api.documents import ALL_DOCUMENTS

from .test_devshop import (ITEM, LOCATION, LOCATION_2, SHOP, access_token, adjust, adjust_vars, fake, gql,  # noqa: F401
                           make_fake, payload_of)

DOCUMENT = "gid://prod-orders/ProductionOrder/7"


def change(delta, **extra):
    return {"inventoryItemId": ITEM, "locationId": LOCATION, "delta": delta, "changeFromQuantity": None, **extra}


def move_vars(quantity=3, key=None, source=None, target=None, **input_fields):
    source = {"locationId": LOCATION, "name": "quality_control", "ledgerDocumentUri": DOCUMENT,
              "changeFromQuantity": None, **(source or {})}
    target = {"locationId": LOCATION, "name": "available", "changeFromQuantity": None, **(target or {})}
    data = {"reason": "correction", "referenceDocumentUri": DOCUMENT, **input_fields,
            "changes": [{"inventoryItemId": ITEM, "quantity": quantity, "from": source, "to": target}]}
    return {"idempotencyKey": key or str(uuid.uuid4()), "input": data}


def move(fake, token, variables):
    response = gql(fake, token, ALL_DOCUMENTS["MoveInventory"], variables)
    assert response.status_code == 200, response.text
    return response.json()["data"]["inventoryMoveQuantities"]


@pytest.mark.parametrize("name", ["incoming", "quality_control"])
def test_other_names_are_adjusted_separately_from_available(fake, name):
    result = payload_of(adjust(fake, access_token(fake), adjust_vars(None, change(4, ledgerDocumentUri=DOCUMENT),
                                                                     name=name)))
    assert result["userErrors"] == []
    assert [(c["name"], c["delta"], c["quantityAfterChange"]) for c in result["inventoryAdjustmentGroup"]["changes"]] \
        == [(name, 4, 4)]
    assert fake.store.quantity(SHOP, ITEM, LOCATION, name) == 4 and fake.store.available(SHOP, ITEM, LOCATION) == 10


@pytest.mark.parametrize("name, document, code", [
    ("incoming", None, "INVALID_QUANTITY_DOCUMENT"),
    ("quality_control", "gid://shopify/Order/1", "INTERNAL_LEDGER_DOCUMENT"),
    ("incoming", "not a uri", "INVALID_LEDGER_DOCUMENT"),
    ("available", DOCUMENT, "INVALID_AVAILABLE_DOCUMENT"),
])
def test_ledger_documents_follow_shopifys_rules(fake, name, document, code):
    extra = {} if document is None else {"ledgerDocumentUri": document}
    result = payload_of(adjust(fake, access_token(fake), adjust_vars(None, change(2, **extra), name=name)))
    assert [(e["code"], e["field"][-1]) for e in result["userErrors"]] == [(code, "ledgerDocumentUri")]
    assert fake.store.quantity(SHOP, ITEM, LOCATION, name) == (10 if name == "available" else 0)


def test_a_move_takes_from_one_name_and_gives_to_another_once_per_key(fake):
    token = access_token(fake)
    fake.store.add_quantity(SHOP, ITEM, LOCATION, "quality_control", 5)
    variables = move_vars(3)
    first = move(fake, token, variables)
    assert first["userErrors"] == []
    assert sorted((c["name"], c["delta"], c["quantityAfterChange"]) for c in first["inventoryAdjustmentGroup"]["changes"]) \
        == [("available", 3, 13), ("quality_control", -3, 2)]
    again = move(fake, token, variables)  # a retry after a lost answer: the stored group, nothing applied
    assert again["inventoryAdjustmentGroup"]["id"] == first["inventoryAdjustmentGroup"]["id"]
    assert fake.store.quantity(SHOP, ITEM, LOCATION, "quality_control") == 2
    assert fake.store.available(SHOP, ITEM, LOCATION) == 13
    assert set(fake.store.applied(SHOP).values()) == {1}


@pytest.mark.parametrize("variables, code", [
    (move_vars(source={"ledgerDocumentUri": None}), "INVALID_QUANTITY_DOCUMENT"),
    (move_vars(target={"ledgerDocumentUri": DOCUMENT}), "INVALID_AVAILABLE_DOCUMENT"),
    (move_vars(target={"locationId": LOCATION_2}), "DIFFERENT_LOCATIONS"),
    (move_vars(target={"name": "quality_control", "ledgerDocumentUri": DOCUMENT}), "SAME_QUANTITY_NAME"),
    (move_vars(-1), "INVALID_QUANTITY_NEGATIVE"),
    (move_vars(source={"name": "on_hand"}), "INVALID_QUANTITY_NAME"),
])
def test_a_refused_move_applies_nothing(fake, variables, code):
    result = move(fake, access_token(fake), variables)
    assert result["inventoryAdjustmentGroup"] is None and [e["code"] for e in result["userErrors"]] == [code]
    assert fake.store.available(SHOP, ITEM, LOCATION) == 10
    assert fake.store.quantity(SHOP, ITEM, LOCATION, "quality_control") == 0


def test_a_move_needs_the_idempotent_directive(fake):
    document = ALL_DOCUMENTS["MoveInventory"].replace(" @idempotent(key: $idempotencyKey)", "")
    document = document.replace(", $idempotencyKey: String!", "")
    variables = move_vars()
    del variables["idempotencyKey"]
    response = gql(fake, access_token(fake), document, variables)
    assert "@idempotent directive is required" in response.json()["errors"][0]["message"]
