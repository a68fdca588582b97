"""Every HTTP call to Shopify goes through this package (OAuth token endpoint and Admin GraphQL)."""
