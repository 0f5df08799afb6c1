"""The web console at /_chinwag/console/ (on in emulator mode, or with `chinwag serve --console`).

Server-rendered HTML (jinja2) for looking at an account's state with your own eyes: services →
users → a user's conversations (unread counts, notification level, read horizon), conversations →
participants → messages. Sign in with the account's SID and auth token (`session.py`). Every page
reads through the domain layer in one read transaction, a page at a time (keyset paging, as the
API's lists), so a service with 10⁵ users costs the same as one with ten. Browsing needs no
JavaScript; `static/console.js` only adds the live refresh.

Entry point: `routes()`.
"""

from chinwag.console.views import routes

__all__ = ["routes"]
