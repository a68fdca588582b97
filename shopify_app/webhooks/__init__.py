"""Shopify webhooks: verify the raw body, deduplicate, dispatch by topic."""
