"""Every GraphQL document the app sends is valid against Shopify's Admin API 2026-10 schema,
and follows the runtime rules the schema cannot express."""

import pytest
from graphql import DirectiveNode, FieldNode, OperationType, parse, validate, visit
from graphql.language import Visitor

from shopify_app.admin_api import documents


@pytest.mark.parametrize("name", sorted(documents.ALL_DOCUMENTS))
def test_the_document_validates_against_the_admin_schema(admin_schema, name):
    assert validate(admin_schema, parse(documents.ALL_DOCUMENTS[name])) == []


def test_every_document_constant_is_listed_for_validation():
    constants = {value for key, value in vars(documents).items() if key.isupper() and isinstance(value, str)}
    assert constants == set(documents.ALL_DOCUMENTS.values())


def _directives_on(document: str, field_name: str) -> list[DirectiveNode]:
    found = []

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_):
            if node.name.value == field_name:
                found.extend(node.directives)

    visit(parse(document), Collect())
    return found


@pytest.mark.parametrize("document, field", [(documents.ADJUST_INVENTORY, "inventoryAdjustQuantities"),
                                             (documents.MOVE_INVENTORY, "inventoryMoveQuantities")])
def test_inventory_mutations_carry_the_idempotent_directive_with_a_key(document, field):
    directives = _directives_on(document, field)
    assert [d.name.value for d in directives] == ["idempotent"]
    assert [a.name.value for a in directives[0].arguments] == ["key"]


def test_the_mutations_are_the_inventory_adjustment_and_move_and_the_cost_write():
    mutations = [name for name, doc in documents.ALL_DOCUMENTS.items()
                 if parse(doc).definitions[0].operation is OperationType.MUTATION]
    assert sorted(mutations) == ["AdjustInventory", "MoveInventory", "UpdateItemCost"]
