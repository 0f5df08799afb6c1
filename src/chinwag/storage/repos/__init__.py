"""One module per aggregate. Repos return domain values, never rows, and never commit."""
