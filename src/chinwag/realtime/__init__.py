"""Realtime: Twilio's JS client (@twilio/conversations) over Twilsock (docs/ARCHITECTURE.md, "Realtime").

`log.py` reads the realtime event log (written by domain/sync_events.py inside each change's
transaction) and `sync_reads.py` answers the client's Sync reads from chinwag's tables.
"""
