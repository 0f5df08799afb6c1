"""Twilio's Media Content Service (MCS): uploads, their records and bytes, for the chat clients
and REST users. Entry point: `routes(max_bytes)`, mounted by app.py under `/_chinwag/mcs/v1/`
(docs/ARCHITECTURE.md, "Media"). `media_url` / `media_set_url` are the URLs the realtime layer's
client configuration names (`links.media_service`, `links.media_set_service`)."""

from chinwag.media.routes import routes
from chinwag.media.wire import media_set_url, media_url

__all__ = ["media_set_url", "media_url", "routes"]
