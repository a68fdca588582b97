"""Shopify authentication: session tokens (and, later, installation)."""
