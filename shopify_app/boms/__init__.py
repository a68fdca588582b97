"""Bills of materials: what producing one unit of a variant consumes."""
