"""The simplified push request of docs/architecture.md §3.1 (and the EventBridge
`Push Requested` detail)."""

# Models: no `from __future__ import annotations`, so pydantic need not evaluate annotation
# strings when each class is created on a cold start (docs/decisions.md §26).

import re
from datetime import UTC, datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from push_common.push.elements import Element, NonEmptyText, StrictModel, Text
from push_common.push.rules import (
    MAX_DESC_PLUS_EXT_BYTES,
    MAX_LIFETIME_SECONDS,
    MAX_TEST_ACCOUNTS,
    check_text,
)
from push_common.upstream_rules import (
    MAX_TAGS_PER_LIST,
    AttrName,
    AttrValue,
    Tag,
    tim_rule,
    utf8_length,
)


class TagsAudience(StrictModel):
    any_of: list[Tag] = Field(default_factory=list, alias="any")
    all_of: list[Tag] = Field(default_factory=list, alias="all")

    @field_validator("any_of", "all_of")
    @classmethod
    def _at_most_ten_unique(cls, tags: list[str]) -> list[str]:
        if len(tags) > MAX_TAGS_PER_LIST:
            raise tim_rule(f"at most {MAX_TAGS_PER_LIST} tags per list", 90032)
        if len(set(tags)) != len(tags):
            raise tim_rule("tags must be unique within a list", None)
        return tags

    @model_validator(mode="after")
    def _one_list_and_disjoint(self) -> Self:
        if not self.any_of and not self.all_of:
            raise tim_rule("give at least one tag in 'any' or 'all'", None)
        if both := sorted(set(self.any_of) & set(self.all_of)):
            raise tim_rule(f"tags {both} are in both 'any' and 'all'", 90022)
        return self


class AttributesAudience(StrictModel):
    any_of: dict[AttrName, AttrValue] = Field(default_factory=dict, alias="any")
    all_of: dict[AttrName, AttrValue] = Field(default_factory=dict, alias="all")

    @model_validator(mode="after")
    def _one_condition(self) -> Self:
        if not self.any_of and not self.all_of:
            raise tim_rule("give at least one attribute in 'any' or 'all'", None)
        return self

    def names(self) -> set[str]:
        return set(self.any_of) | set(self.all_of)


Account = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(check_text)]


class Audience(StrictModel):
    """Exactly one of all / tags / attributes / accounts: "everyone" must be said explicitly.

    `accounts` (1-500 UserIDs) is a test send through `timpush/batch` (docs/architecture.md §3.1).
    """

    all: Literal[True] | None = None
    tags: TagsAudience | None = None
    attributes: AttributesAudience | None = None
    accounts: Annotated[list[Account], Field(min_length=1, max_length=MAX_TEST_ACCOUNTS)] | None = (
        None
    )

    @field_validator("accounts")
    @classmethod
    def _unique_accounts(cls, accounts: list[str] | None) -> list[str] | None:
        if accounts is not None and len(set(accounts)) != len(accounts):
            raise tim_rule("accounts must be unique", None)
        return accounts

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if self.tags is not None and self.attributes is not None:
            raise tim_rule("tags and attributes cannot be combined in one push", 90039)
        chosen = [x for x in (self.all, self.tags, self.attributes, self.accounts) if x is not None]
        if len(chosen) != 1:
            raise tim_rule(
                "give exactly one of {'all': true}, 'tags', 'attributes' or 'accounts'", None
            )
        return self

    @property
    def is_test(self) -> bool:
        return self.accounts is not None


class Message(StrictModel):
    text: NonEmptyText | None = None
    elements: Annotated[list[Element], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _text_or_elements(self) -> Self:
        if (self.text is None) == (self.elements is None):
            raise tim_rule("give exactly one of 'text' or 'elements'", 90002)
        if sum(1 for e in self.elements or () if e.type == "custom") > 1:
            raise tim_rule("at most one custom element per message", 90002)
        return self

    def is_custom_only(self) -> bool:
        return self.elements is not None and all(e.type == "custom" for e in self.elements)

    def has_push_text(self) -> bool:
        return not self.is_custom_only() or any(
            getattr(e, "desc", None) for e in self.elements or ()
        )


class AndroidNotification(StrictModel):
    sound: Text | None = None
    huawei_channel_id: Text | None = None
    xiaomi_channel_id: Text | None = None
    oppo_channel_id: Text | None = None
    google_channel_id: Text | None = None
    vivo_classification: Literal[0, 1] | None = None
    huawei_importance: Literal["LOW", "NORMAL"] | None = None
    ext_as_huawei_intent_param: bool | None = None
    huawei_category: Text | None = None
    oppo_category: Text | None = None
    vivo_category: Text | None = None
    honor_importance: Literal["LOW", "NORMAL"] | None = None
    meizu_notice_msg_type: Literal[0, 1] | None = None
    oppo_private_msg_template_id: Text | None = None


class ApnsNotification(StrictModel):
    sound: Text | None = None
    badge: Literal["increment", "unchanged"] = "increment"
    title: Text | None = None
    subtitle: Text | None = None
    image: Text | None = None
    mutable_content: bool = False


class Notification(StrictModel):
    enabled: bool = True
    title: Text | None = None
    body: Text | None = None
    ext: Text | None = None
    android: AndroidNotification | None = None
    apns: ApnsNotification | None = None

    @model_validator(mode="after")
    def _fits_apns_payload(self) -> Self:
        size = utf8_length(self.body or "") + utf8_length(self.ext or "")
        if size > MAX_DESC_PLUS_EXT_BYTES:
            raise tim_rule(
                f"body + ext is {size} bytes; keep it within {MAX_DESC_PLUS_EXT_BYTES} "
                "(APNs payload limit)",
                90043,
            )
        return self


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _rfc3339(value: object) -> object:
    """An RFC 3339 date-time with an explicit offset; a naive time or a bare date is refused."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise tim_rule(
            "send_at must be an RFC 3339 date-time with an offset, e.g. 2026-11-30T09:00:00+08:00",
            None,
        )
    text = value.upper().replace("Z", "+00:00")
    head, _, rest = text.partition(".")
    if rest:  # Python keeps microseconds: cut longer fractions
        digits = re.match(r"[0-9]+", rest)
        assert digits is not None
        text = f"{head}.{digits.group()[:6]}{rest[digits.end() :]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise tim_rule(f"send_at is not a valid date-time: {exc}", None) from None


def utc_ms(instant: datetime) -> str:
    """UTC with milliseconds and `Z`: how every instant is stored and answered."""
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


SendAt = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339),
    PlainSerializer(utc_ms, return_type=str, when_used="json"),
    Field(
        description="RFC 3339 date-time with an offset: schedule the push for then; in the "
        "future, at most SCHEDULE_MAX_DAYS ahead, at least 2 minutes before the end of its quota "
        "day (QUOTA_TIMEZONE)"
    ),
]


class PushRequest(StrictModel):
    audience: Audience
    # Required except for a test send, which carries a notification only (checked per API
    # family in `push.families`, so the 422 can name the field and the API).
    message: Message | None = None
    sender: NonEmptyText | None = None
    offline_ttl_seconds: Annotated[int, Field(ge=0, le=MAX_LIFETIME_SECONDS)] = 0
    # timpush only: store the push as a conversation message (OnlineOnlyFlag 0) or not (1).
    keep_in_history: bool | None = None
    notification: Notification | None = None
    send_at: SendAt | None = None
    dry_run: bool = False

    @model_validator(mode="after")
    def _offline_push_has_text(self) -> Self:
        # Tencent silently drops the offline push of a custom-only message without any Desc.
        wants_offline = self.offline_ttl_seconds > 0 and (
            self.notification is None or self.notification.enabled
        )
        has_desc = self.notification is not None and bool(self.notification.body)
        has_text = self.message is None or self.message.has_push_text()
        if wants_offline and not has_desc and not has_text:
            raise tim_rule(
                "a custom-only message needs notification.body (or a custom desc) to be pushed "
                "offline; set notification.enabled=false for online-only delivery",
                None,
            )
        return self


class PushRequestedDetail(PushRequest):
    """EventBridge `Push Requested` detail: the HTTP body plus an optional idempotency key."""

    idempotency_key: (
        Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")] | None
    ) = None
