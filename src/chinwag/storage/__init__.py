"""Storage: schema, migrations, the two database drivers, and the repositories (all SQL lives here)."""
