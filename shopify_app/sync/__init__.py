"""Pushing produced quantities into Shopify inventory, exactly once (SPEC §5)."""
