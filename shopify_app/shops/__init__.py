"""Shops: the tenants of the app, their settings and the scoping every data access goes through."""
