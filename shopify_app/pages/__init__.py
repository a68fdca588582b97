"""Server-rendered pages of the embedded app."""
