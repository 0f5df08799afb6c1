"""Simulated SMS and WhatsApp for emulator mode (`chinwag serve --emulator`): tests act as the
phone on the non-chat side of a conversation. Entry point: `routes()`, mounted under
`/_chinwag/v1/` only in emulator mode (elsewhere those paths answer 404)."""

from chinwag.simulated_sms.routes import routes

__all__ = ["routes"]
