"""Who may read or subscribe to a Sync object (docs/decisions.md #120).

Object ids say their owner: `{CH}.doc`, `{CH}.msgs`, `{CH}.roster` belong to a conversation and
are seen by its participants (and its creator, who opens the document before joining);
`{US}.convs` by that user alone; `{US}.info` by any user of the same service. Always within the
token's account and service.
"""

from __future__ import annotations

from chinwag.domain.access_tokens import ChatGrant
from chinwag.storage.db import Tx
from chinwag.storage.repos import conversations as conversation_repo
from chinwag.storage.repos import participants as participant_repo
from chinwag.storage.repos import users as user_repo

CONVERSATION_KINDS = {"doc": "document", "msgs": "list", "roster": "map"}
USER_KINDS = {"info": "map", "convs": "map"}


def parse(object_sid: str) -> tuple[str, str] | None:
    """(owner SID, suffix), or None for an id chinwag never hands out."""
    owner, dot, suffix = object_sid.partition(".")
    if not dot or len(owner) != 34:
        return None
    if owner.startswith("CH") and suffix in CONVERSATION_KINDS:
        return owner, suffix
    if owner.startswith("US") and suffix in USER_KINDS:
        return owner, suffix
    return None


async def member_or_creator(tx: Tx, grant: ChatGrant, conversation_sid: str) -> bool:
    conv = await conversation_repo.find(tx, grant.service_sid, conversation_sid)
    if conv is None or conv.sid != conversation_sid or conv.account_sid != grant.account_sid:
        return False
    if conv.created_by == grant.identity != "system":  # REST-made conversations say "system": never an owner
        return True
    return await participant_repo.sid_by_identity(tx, conversation_sid, grant.identity) is not None


async def can_see(tx: Tx, grant: ChatGrant, user_sid: str, object_sid: str) -> bool:
    parsed = parse(object_sid)
    if parsed is None:
        return False
    owner, suffix = parsed
    if owner.startswith("CH"):
        return await member_or_creator(tx, grant, owner)
    if suffix == "convs":
        return owner == user_sid
    user = await user_repo.find(tx, grant.service_sid, owner)
    return user is not None and user.sid == owner and user.account_sid == grant.account_sid
