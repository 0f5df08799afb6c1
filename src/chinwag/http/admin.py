"""A control plane for tests and local development (moto's `/moto-api`), mounted only when
`CHINWAG_ADMIN_API` is set: `POST /__admin/clock` with `Advance=<seconds>` or `Now=<ISO date>`
moves this server process's clock, then carries out any timers that fell due (or, with
`Sweep=false`, wakes the background timer task to do it).

The clock is per process; use it with a single-worker server.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chinwag.core.clock import OffsetClock, iso, parse_iso
from chinwag.core.errors import TwilioError, invalid
from chinwag.http.forms import Params
from chinwag.http.render import error_response, json_response
from chinwag.timer_task import TimerTask


def routes(clock: OffsetClock, timer_task: TimerTask) -> list[Route]:
    async def move_clock(request: Request) -> Response:
        form = Params.parse(await request.body())
        try:
            advance, now = form.get("Advance"), form.get("Now")
            if advance:
                try:
                    clock.advance(float(advance))
                except ValueError:
                    raise invalid("Advance must be a number of seconds") from None
            elif now:
                epoch = parse_iso(now)
                if epoch is None:
                    raise invalid("Now must be an ISO-8601 date-time")
                clock.set(epoch)
        except TwilioError as exc:
            return error_response(exc)
        # `Sweep=false` leaves the transition to the background task (tests watch it happen).
        if (form.get("Sweep") or "").lower() == "false":
            timer_task.wake()
            return json_response({"now": iso(clock.now()), "transitions": None})
        moved = await timer_task.sweep()
        return json_response({"now": iso(clock.now()), "transitions": moved})

    async def read_clock(_: Request) -> Response:
        return json_response({"now": iso(clock.now())})

    return [
        Route("/__admin/clock", move_clock, methods=["POST"]),
        Route("/__admin/clock", read_clock, methods=["GET"]),
    ]
