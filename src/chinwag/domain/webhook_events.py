"""The names of Conversations webhook events (as Twilio's docs list them), as `Filters` take them."""

from __future__ import annotations

# Pre-event → its post-event.
PAIRS = {
    "onMessageAdd": "onMessageAdded",
    "onMessageUpdate": "onMessageUpdated",
    "onMessageRemove": "onMessageRemoved",
    "onConversationAdd": "onConversationAdded",
    "onConversationUpdate": "onConversationUpdated",
    "onConversationRemove": "onConversationRemoved",
    "onParticipantAdd": "onParticipantAdded",
    "onParticipantUpdate": "onParticipantUpdated",
    "onParticipantRemove": "onParticipantRemoved",
    "onUserUpdate": "onUserUpdated",
}
PRE_EVENTS = frozenset(PAIRS)
POST_EVENTS = frozenset({*PAIRS.values(), "onConversationStateUpdated", "onDeliveryUpdated", "onUserAdded"})
# Every name the account-level `Filters` accepts (the spec's 23). Service level accepts the same
# (docs/decisions.md #62).
ALL_EVENTS = PRE_EVENTS | POST_EVENTS
# A conversation-scoped webhook gets post-events that happen in its conversation, after it exists:
# not pre-events, not user events, not the conversation's own creation (docs/decisions.md #63).
CONVERSATION_EVENTS = frozenset(
    {
        "onMessageAdded",
        "onMessageUpdated",
        "onMessageRemoved",
        "onConversationUpdated",
        "onConversationRemoved",
        "onConversationStateUpdated",
        "onParticipantAdded",
        "onParticipantUpdated",
        "onParticipantRemoved",
        "onDeliveryUpdated",
    }
)
