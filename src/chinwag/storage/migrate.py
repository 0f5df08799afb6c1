"""Apply the schema migrations (Alembic) to a database URL; run at `chinwag serve` start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from chinwag.storage.dialect import engine_of, postgres_options, postgres_target, sqlalchemy_url

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    if engine_of(url) == "postgresql":
        cfg.attributes["server_settings"] = postgres_target(url)[1]
        cfg.attributes["transaction_pooling"] = postgres_options(url).transaction_pooling
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
