"""The one table of errors chinwag answers with, and the exception that carries them.

Codes and statuses follow Twilio's error dictionary; where Twilio does not publish a status,
the ruling is decisions.md #15 (400 validation, 404 missing reference, 409 conflict).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


class ErrorCode(Enum):
    # (code, HTTP status, message template)
    INVALID_PARAMETER = (20001, 400, "{message}")
    MISSING_PARAMETER = (20001, 400, "Missing required parameter {name} in the post body")
    AUTH_MISSING = (20003, 401, "Authentication Error - No credentials provided")
    AUTH_FAILED = (20003, 401, "Authentication Error - invalid username")
    METHOD_NOT_ALLOWED = (20004, 405, "Method not allowed")
    NOT_FOUND = (20404, 404, "The requested resource {path} was not found")
    TOO_LARGE = (20413, 413, "Request entity too large")
    DEFAULT_SERVICE_DELETE = (
        20409,
        409,
        "Service {sid} is the account's default Conversation Service and cannot be deleted",
    )
    REFERENCE_REMOVED = (
        20409,
        409,
        "A resource this request refers to was deleted while the request ran; nothing was changed",
    )
    INTERNAL = (20500, 500, "Internal server error")
    FRIENDLY_NAME_TOO_LONG = (50003, 400, "Friendly name is too long (maximum {limit} characters)")
    ROLE_NOT_FOUND = (50100, 404, "Role not found: {sid}")
    PERMISSION_UNKNOWN = (50104, 400, "Unknown permission: {name}")
    ROLE_TYPE_INVALID = (50105, 400, "Invalid role type: {value}")
    ROLE_WRONG_TYPE = (50105, 400, "Role {sid} is a {actual} role; a {expected} role is required")
    ROLE_IN_USE = (20409, 409, "Role {sid} is in use and cannot be deleted")
    SERVICE_NOT_FOUND = (50050, 404, "Service not found: {sid}")
    USER_NOT_FOUND = (50200, 404, "User not found: {sid}")
    USER_EXISTS = (50201, 409, "User already exists")
    IDENTITY_LOOKS_LIKE_SID = (50206, 400, "Identity must not match the User SID pattern")
    IDENTITY_TOO_LONG = (50207, 400, "Identity is too long (maximum {limit} characters)")
    ATTRIBUTES_TOO_LONG = (50303, 400, "Attributes too long (maximum {limit} bytes)")
    ATTRIBUTES_INVALID = (50304, 400, "Attributes not valid JSON")
    TIMER_INACTIVE_TOO_SHORT = (50375, 400, "Inactive timer must be at least 1 minute (PT1M), or PT0S to disable it")
    TIMER_CLOSED_TOO_SHORT = (50376, 400, "Closed timer must be at least 10 minutes (PT10M), or PT0S to disable it")
    TIMER_INACTIVE_FORMAT = (50379, 400, "Inactive timer is not a valid ISO-8601 duration")
    TIMER_CLOSED_FORMAT = (50380, 400, "Closed timer is not a valid ISO-8601 duration")
    # Conversations, participants, messages, read state (statuses: decisions.md #15, #18).
    UNIQUE_NAME_EXISTS = (50353, 409, "Conversation with provided unique name already exists")
    UNIQUE_NAME_LOOKS_LIKE_SID = (50390, 400, "Unique name should not match the Conversation SID pattern")
    CONVERSATION_CLOSED = (50377, 409, "Cannot update: conversation is in final closed state")
    STATE_EMPTY = (50374, 400, "State can't be empty")
    STATE_INVALID = (50378, 400, "State value not supported: {value}")
    INITIAL_STATE_CLOSED = (50384, 400, "Initial state can't be closed")
    TIMER_WITHOUT_STATE = (50382, 400, "Timer can't be set without state")
    PARTICIPANT_EXISTS = (50433, 409, "Participant already exists")
    BINDING_IN_USE = (50416, 409, "A binding for this participant and proxy address already exists")
    IDENTITY_FOR_NON_CHAT = (50211, 400, "Identity is not acceptable for a non-chat participant")
    PARTICIPANT_KIND_MISSING = (
        20001,
        400,
        "Missing required parameter Identity or MessagingBinding.Address in the post body",
    )
    IDENTITY_IMMUTABLE = (50444, 400, "A participant's identity cannot be changed")
    BINDING_ON_CHAT_PARTICIPANT = (50441, 400, "A chat participant has no messaging binding to change")
    BODY_MISSING = (50503, 400, "Message body is required")
    BODY_TOO_LONG = (50504, 400, "Message body is too long (maximum {limit} characters)")
    AUTHOR_TOO_LONG = (50310, 400, "Author is too long (maximum {limit} characters)")
    NOTIFICATION_LEVEL_INVALID = (50210, 400, "Unknown notification level value: {value}")
    READ_INDEX_INVALID = (50421, 400, "LastReadMessageIndex must be an integer, empty or null: {value}")
    ORDER_INVALID = (20001, 400, "Invalid value for Order: {value} (use asc or desc)")
    IDENTITY_AND_ADDRESS = (50451, 400, "Use either Identity or Address, not both")
    FILTER_MISSING = (20001, 400, "Missing required parameter Identity or Address")
    # Delivery receipts, address configurations, credentials, bindings (docs/decisions.md #110-#119).
    RECEIPT_NOT_FOUND = (
        20404,
        404,
        "No delivery receipt for message {message_sid} and participant {participant_sid}",
    )
    INBOUND_UNROUTED = (20404, 404, "{reason}; nothing was created")
    ADDRESS_CONFIGURATION_EXISTS = (20409, 409, "An address configuration for {type} address {address} already exists")
    # Faults and floods (docs/decisions.md #50-#53): the database cannot take the request right
    # now, or the client did not send its body in time.
    UNAVAILABLE = (20503, 503, "Service unavailable: the database cannot serve this request now ({kind}); retry later")
    OUTCOME_UNKNOWN = (
        20503,
        503,
        "Service unavailable: the database connection was lost while committing; the change may or may not"
        " have been applied",
    )
    REQUEST_TIMEOUT = (20408, 408, "Request timeout: the request body did not arrive within {seconds} seconds")
    # Webhooks (docs/decisions.md #73, #78).
    PRE_WEBHOOK_REJECTED = (50056, 403, "The pre-event webhook rejected the action (it answered HTTP {status})")
    CLIENT_NOT_PARTICIPANT = (50107, 403, "User {identity} is not authorized: not a participant of this conversation")
    CLIENT_NOT_ALLOWED = (50107, 403, "User {identity} is not authorized to perform this action")
    DELIVERY_STATUS_INVALID = (20001, 400, "Invalid value for Status: {value} (use pending, delivered or failed)")
    # Conversation-scoped webhooks (docs/decisions.md #63).
    WEBHOOK_LIMIT = (50361, 400, "A conversation can have at most {limit} webhooks")
    WEBHOOK_FILTER_INVALID = (
        50365,
        400,
        "Invalid value for Configuration.Filters: {name!r} is not a post-event of a conversation",
    )
    # API keys and authentication (docs/decisions.md #100, #103).
    AUTH_WRONG_SECRET = (20003, 401, "Authentication Error - invalid credentials")
    KEYS_NEED_AUTH_TOKEN = (
        20003,
        403,
        "Authentication Error - API keys cannot manage API keys; use the account SID and auth token",
    )

    # Access tokens (docs/decisions.md #140-#142): Twilio's titles, then what exactly is wrong.
    TOKEN_INVALID = (20101, 401, "Invalid Access Token: {reason}")
    TOKEN_HEADER = (20102, 401, "Invalid Access Token header: {reason}")
    TOKEN_ISSUER = (20103, 401, "Invalid Access Token issuer/subject: {reason}")
    TOKEN_EXPIRED = (20104, 401, "Access Token expired or expiration date invalid: {reason}")
    TOKEN_NOT_YET_VALID = (20105, 401, "Access Token not yet valid: {reason}")
    TOKEN_GRANTS = (20106, 401, "Invalid Access Token grants: {reason}")
    TOKEN_SIGNATURE = (20107, 401, "Invalid Access Token signature: {reason}")
    TOKEN_TOO_LONG_LIVED = (20157, 401, "Expiration Time Exceeds Maximum Time Allowed: {reason}")

    # Media (docs/decisions.md #144-#149).
    MEDIA_NOT_FOUND = (50507, 404, "Media not found: {sid}")
    MEDIA_ALREADY_SENT = (50508, 409, "Media {sid} is already attached to another message")
    MEDIA_SID_INVALID = (50510, 400, "Invalid message media SID: {value}")
    MEDIA_TOO_LARGE = (20413, 413, "Media too large: the limit is {limit} bytes")
    MEDIA_URL_INVALID = (20003, 403, "This temporary media URL is not valid (its Signature does not match)")
    MEDIA_URL_EXPIRED = (
        20003,
        403,
        "This temporary media URL expired at {expires}; fetch the media record again for a new one",
    )

    @property
    def code(self) -> int:
        return self.value[0]

    @property
    def status(self) -> int:
        return self.value[1]

    @property
    def template(self) -> str:
        return self.value[2]


class TwilioError(Exception):
    """Raised anywhere below HTTP; rendered as Twilio's `{code, message, more_info, status}` body."""

    def __init__(self, error: ErrorCode, **fmt: Any) -> None:
        self.error = error
        self.message = error.template.format(**fmt)
        super().__init__(self.message)

    @property
    def code(self) -> int:
        return self.error.code

    @property
    def status(self) -> int:
        return self.error.status

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": MORE_INFO.format(code=self.code),
            "status": self.status,
        }


def invalid(message: str) -> TwilioError:
    return TwilioError(ErrorCode.INVALID_PARAMETER, message=message)
