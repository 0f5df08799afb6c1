"""The resources as plain values. `seq` is the insertion sequence that orders lists.

Not frozen, by measurement: a frozen dataclass sets every field through `object.__setattr__`, which
made building a 50-row page cost ~15% of the whole request. Treat them as values all the same:
change one with `dataclasses.replace`, never in place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(slots=True)
class Scope:
    """Which account and Conversation Service a request acts on (both URL forms resolve to one)."""

    account_sid: str
    service_sid: str


@dataclass(slots=True)
class Service:
    seq: int
    sid: str
    account_sid: str
    friendly_name: str
    date_created: str
    date_updated: str


@dataclass(slots=True)
class AccountConfig:
    account_sid: str
    default_chat_service_sid: str | None
    default_messaging_service_sid: str | None
    default_inactive_timer: str | None
    default_closed_timer: str | None


@dataclass(slots=True)
class ServiceConfig:
    chat_service_sid: str
    default_conversation_creator_role_sid: str | None
    default_conversation_role_sid: str | None
    default_chat_service_role_sid: str | None
    reachability_enabled: bool


@dataclass(slots=True)
class Role:
    seq: int
    sid: str
    account_sid: str
    chat_service_sid: str
    friendly_name: str
    type: str
    permissions: tuple[str, ...]
    date_created: str
    date_updated: str


@dataclass(slots=True)
class User:
    seq: int
    sid: str
    account_sid: str
    chat_service_sid: str
    identity: str
    friendly_name: str | None
    attributes: str
    role_sid: str
    date_created: str
    date_updated: str


@dataclass(slots=True)
class Page(Generic[T]):
    """One page of a keyset-paged list; `has_next`/`has_previous` drive the meta URLs."""

    items: list[T]
    has_next: bool
    has_previous: bool
    # Sort keys of the first and last item: what the next/previous page tokens carry.
    first_key: int | None = None
    last_key: int | None = None


@dataclass(slots=True)
class Conversation:
    seq: int
    sid: str
    account_sid: str
    chat_service_sid: str
    messaging_service_sid: str | None
    friendly_name: str | None
    unique_name: str | None
    attributes: str
    state: str
    created_by: str
    bindings: str | None  # JSON text of {"email": {...}} or None
    inactive_timer: str | None
    closed_timer: str | None
    date_inactive: str | None
    date_closed: str | None
    date_created: str
    date_updated: str


@dataclass(slots=True)
class Participant:
    seq: int
    sid: str
    account_sid: str
    chat_service_sid: str
    conversation_sid: str
    user_sid: str | None
    identity: str | None
    attributes: str
    role_sid: str | None
    binding_type: str | None
    binding_address: str | None
    binding_proxy_address: str | None
    binding_projected_address: str | None
    last_read_message_index: int | None
    last_read_timestamp: str | None
    unread_count: int
    notification_level: str
    date_created: str
    date_updated: str


@dataclass(slots=True)
class Message:
    seq: int
    sid: str
    account_sid: str
    chat_service_sid: str
    conversation_sid: str
    index: int
    author: str | None
    body: str | None
    attributes: str
    participant_sid: str | None
    content_sid: str | None
    subject: str | None
    date_created: str
    date_updated: str
    delivery: str | None = None  # the delivery summary as JSON text; None without receipts (chat only)
    media: str | None = None  # the `media` list as JSON text (migration 0012); None without media


@dataclass(slots=True)
class Membership:
    """A user's participant joined with its conversation: what a UserConversation shows."""

    participant: Participant
    conversation: Conversation


@dataclass(slots=True)
class DeliveryReceipt:
    seq: int
    sid: str
    account_sid: str
    chat_service_sid: str
    conversation_sid: str
    message_sid: str
    participant_sid: str
    channel_message_sid: str
    status: str
    error_code: int
    channel: str
    to_address: str
    from_address: str | None
    date_created: str
    date_updated: str


@dataclass(slots=True)
class AddressConfiguration:
    seq: int
    sid: str
    account_sid: str
    type: str
    address: str
    friendly_name: str | None
    address_country: str | None
    auto_creation: str  # JSON text of the AutoCreation settings, as rendered
    date_created: str
    date_updated: str


@dataclass(slots=True)
class Credential:
    seq: int
    sid: str
    account_sid: str
    type: str
    friendly_name: str | None
    sandbox: bool | None
    certificate: str | None
    private_key: str | None
    api_key: str | None
    secret: str | None
    date_created: str
    date_updated: str


@dataclass(slots=True)
class Binding:
    seq: int
    sid: str
    account_sid: str
    chat_service_sid: str
    credential_sid: str | None
    endpoint: str
    identity: str
    binding_type: str
    message_types: tuple[str, ...]
    date_created: str
    date_updated: str


@dataclass(slots=True)
class ApiKey:
    """An API key (SK…) of the 2010 Keys resource; its secret is never part of it (only of the
    answer to its creation)."""

    seq: int
    sid: str
    account_sid: str
    friendly_name: str | None
    date_created: str
    date_updated: str


@dataclass(frozen=True, slots=True)
class Media:
    """An uploaded file (ME…) of the Media Content Service, without its bytes (migration 0012)."""

    sid: str
    account_sid: str
    chat_service_sid: str
    conversation_sid: str | None
    message_sid: str | None
    author: str | None
    content_type: str
    filename: str | None
    category: str
    size: int
    date_created: str
    date_updated: str
