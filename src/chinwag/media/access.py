"""Who calls a media route: a chat client with an access token (`X-Twilio-Token`, as the JS client
sends it) or a REST user with HTTP Basic (account SID + auth token, or an API key), as Twilio's MCS
accepts both. Either way the service in the URL must be the caller's (docs/decisions.md #145)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from chinwag.core.errors import ErrorCode, TwilioError
from chinwag.core.sids import SidPrefix, looks_like
from chinwag.domain import access_tokens
from chinwag.domain.access_tokens import TokenRefused
from chinwag.domain.deps import Deps
from chinwag.http.context import AppState
from chinwag.storage.repos import services as service_repo


@dataclass(frozen=True)
class Caller:
    account_sid: str
    identity: str | None  # the token's user; None for account credentials (sees all of the account)
    deps: Deps  # the account's clock in emulator mode


async def _deps(state: AppState, account_sid: str | None) -> Deps:
    if state.emulator is None or account_sid is None:
        return state.deps
    return await state.emulator.deps_for(account_sid)


async def caller(request: Request, state: AppState, service_sid: str) -> Caller:
    token = request.headers.get("x-twilio-token")
    if token is not None:
        deps = await _deps(state, access_tokens.claimed_account(token))
        grant = await access_tokens.verify(state.db, token, deps.clock.now())
        if grant.service_sid != service_sid:
            raise TokenRefused(
                ErrorCode.TOKEN_GRANTS,
                f"the token's chat grant is for service {grant.service_sid}, this URL is service {service_sid}",
            )
        return Caller(grant.account_sid, grant.identity, deps)
    account_sid = await state.auth.account_for(request.headers.get("authorization"))
    if not looks_like(service_sid, SidPrefix.SERVICE):
        raise TwilioError(ErrorCode.SERVICE_NOT_FOUND, sid=service_sid)
    async with state.db.read() as tx:
        if not await service_repo.exists(tx, account_sid, service_sid):
            raise TwilioError(ErrorCode.SERVICE_NOT_FOUND, sid=service_sid)
    return Caller(account_sid, None, await _deps(state, account_sid))
