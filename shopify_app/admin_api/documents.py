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
        inventoryHistoryUrl
        unitCost {
          amount
          currencyCode
        }
      }
    }
  }
}
"""

# What Shopify applied, as the receipt stores it (shared by the adjustment and the move): its
# changes give the order's receipt Shopify's own quantity after each change (the group can also
# list other quantity names moved alongside, e.g. `on_hand`).
_applied_group = """
fragment AppliedGroup on InventoryAdjustmentGroup {
  id
  createdAt
  changes {
    name
    delta
    quantityAfterChange
    item {
      id
    }
    location {
      id
    }
  }
}
"""

# Deltas to one quantity name (`available`, `incoming`, `quality_control`). Since API 2026-04 the
# mutation needs @idempotent and an explicit changeFromQuantity on every change (null: these are
# deltas, not compare-and-swap).
ADJUST_INVENTORY = """
mutation AdjustInventory($input: InventoryAdjustQuantitiesInput!, $idempotencyKey: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup {
      ...AppliedGroup
    }
    userErrors {
      field
      message
      code
    }
  }
}
""" + _applied_group

# A released curing hold (SPEC §10): output moves from `quality_control` to `available`.
MOVE_INVENTORY = """
mutation MoveInventory($input: InventoryMoveQuantitiesInput!, $idempotencyKey: String!) {
  inventoryMoveQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup {
      ...AppliedGroup
    }
    userErrors {
      field
      message
      code
    }
  }
}
""" + _applied_group

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

# Variants by SKU for the BOM import: `query` ORs up to 50 `sku:"..."` terms. Shopify's search may
# also match near misses, so the caller keeps exact SKUs only. 100 per page keeps the query's cost
# near 100 points (a page of 250 would cost about 250 for the usual one match per SKU).
VARIANTS_BY_SKU = """
query VariantsBySku($query: String!, $after: String) {
  productVariants(first: 100, after: $after, query: $query) {
    nodes {
      id
      displayName
      sku
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
"""

# Variants named by GID in a BOM import: that they exist in this shop, and their title and SKU.
VARIANTS_BY_ID = """
query VariantsById($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename
    ... on ProductVariant {
      id
      displayName
      sku
    }
  }
}
"""

# Do the variants and locations a merchant typed exist in the shop? One call for up to 250 ids.
# The same answer carries each variant's cost per item, which prices the order (SPEC §9).
CATALOGUE_IDS = """
query CatalogueIds($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename
    ... on ProductVariant {
      id
      displayName
      sku
      inventoryItem {
        unitCost {
          amount
          currencyCode
        }
      }
    }
    ... on Location {
      id
      name
      isActive
    }
  }
}
"""

# Shopify's cost per item of an output (SPEC §9). No idempotency key exists for it: the value is
# absolute and frozen before the first send, so a resend after a lost answer is harmless.
UPDATE_ITEM_COST = """
mutation UpdateItemCost($id: ID!, $input: InventoryItemInput!) {
  inventoryItemUpdate(id: $id, input: $input) {
    inventoryItem {
      id
      unitCost {
        amount
        currencyCode
      }
    }
    userErrors {
      field
      message
    }
  }
}
"""

# What is in stock for an order (SPEC §10): each variant's `available` quantity at one location.
# An untracked item is not counted by Shopify; an item never stocked there has no level (null).
INVENTORY_AVAILABILITY = """
query InventoryAvailability($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    __typename
    ... on ProductVariant {
      id
      inventoryItem {
        tracked
        inventoryLevel(locationId: $locationId) {
          quantities(names: ["available"]) {
            name
            quantity
          }
        }
      }
    }
  }
}
"""

ALL_DOCUMENTS = {
    "VariantInventoryItems": VARIANT_INVENTORY_ITEMS,
    "VariantsBySku": VARIANTS_BY_SKU,
    "VariantsById": VARIANTS_BY_ID,
    "AdjustInventory": ADJUST_INVENTORY,
    "MoveInventory": MOVE_INVENTORY,
    "ActiveLocations": ACTIVE_LOCATIONS,
    "CatalogueIds": CATALOGUE_IDS,
    "UpdateItemCost": UPDATE_ITEM_COST,
    "InventoryAvailability": INVENTORY_AVAILABILITY,
}
