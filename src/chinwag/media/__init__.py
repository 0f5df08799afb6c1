"""Twilio's Media Content Service (MCS): uploads, their records and bytes, for the chat clients
and REST users. Entry point: `routes(max_bytes)`, mounted by app.py under `/_chinwag/mcs/v1/`
(docs/ARCHITECTURE.md, "Media")."""

from chinwag.media.routes import routes

__all__ = ["routes"]
