"""Costing (SPEC §9): what a batch cost, and Shopify's cost per item kept right."""
