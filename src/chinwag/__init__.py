"""chinwag: a self-hostable server for the Twilio Conversations REST API v1."""

__version__ = "0.1.0"
