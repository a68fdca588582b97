"""Every GraphQL document the app sends to the Admin API (validated against the schema in tests)."""

# Variant -> inventory item, for up to 250 variants in one call (the `nodes` limit).
VARIANT_INVENTORY_ITEMS = """
query VariantInventoryItems($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename
    ... on ProductVariant {
      id
      displayName
      inventoryItem {
        id
        tracked
      }
    }
  }
}
"""

# Deltas to the `available` quantity. Since API 2026-04 the mutation needs @idempotent and an
# explicit changeFromQuantity on every change (null: these are deltas, not compare-and-swap).
ADJUST_INVENTORY = """
mutation AdjustInventory($input: InventoryAdjustQuantitiesInput!, $idempotencyKey: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup {
      id
      createdAt
    }
    userErrors {
      field
      message
      code
    }
  }
}
"""

ACTIVE_LOCATIONS = """
query ActiveLocations($after: String) {
  locations(first: 250, after: $after, includeInactive: false) {
    nodes {
      id
      name
      isActive
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
"""

# Do the variants and locations a merchant typed exist in the shop? One call for up to 250 ids.
CATALOGUE_IDS = """
query CatalogueIds($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename
    ... on ProductVariant {
      id
      displayName
      sku
    }
    ... on Location {
      id
      name
      isActive
    }
  }
}
"""

ALL_DOCUMENTS = {
    "VariantInventoryItems": VARIANT_INVENTORY_ITEMS,
    "AdjustInventory": ADJUST_INVENTORY,
    "ActiveLocations": ACTIVE_LOCATIONS,
    "CatalogueIds": CATALOGUE_IDS,
}
