"""ASGI entry point for the server processes: `chinwag.asgi:create` (a factory)."""

from __future__ import annotations

from chinwag.app import create_app
from chinwag.http.router import App


def create() -> App:
    return create_app()
