"""Emulator mode: the control API under `/_chinwag/v1/` (accounts, reset, snapshots, per-account
clocks, the request journal with hints), on only with `chinwag serve --emulator`.

The one entry point is `Emulator` (emulator/mode.py): app.py builds it in emulator mode, mounts
`Emulator.routes()` and hands it to every API request as `AppState.emulator`; outside emulator
mode nothing here runs and the routes do not exist (404). See docs/ARCHITECTURE.md.
"""

from chinwag.emulator.mode import Emulator

__all__ = ["Emulator"]
