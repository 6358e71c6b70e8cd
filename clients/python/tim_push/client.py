"""`TimPushClient`: one typed method per route of the gateway's HTTP API v1."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast
from urllib.parse import quote

import urllib3
from botocore.credentials import Credentials

from tim_push.errors import ConfigurationError
from tim_push.models import (
    JSON,
    AttributeNames,
    DryRunAnswer,
    PushAnswer,
    PushPage,
    PushRecord,
    PushReport,
    Quota,
    UserAttributes,
    UserTags,
    WriteResult,
)
from tim_push.signing import Signer
from tim_push.transport import Timeouts, Transport

ENDPOINT_ENV = "TIM_PUSH_ENDPOINT"


def new_idempotency_key() -> str:
    """A fresh key for one logical push (printable ASCII, well under 255 characters)."""
    return f"tim-push-{uuid.uuid4()}"


class TimPushClient:
    """Signs every request (SigV4, service execute-api) and retries only when that is safe.

    `endpoint` defaults to $TIM_PUSH_ENDPOINT; credentials come from the standard AWS chain
    (`profile` picks a named profile); `region` defaults to the one in an execute-api host name,
    then the AWS configuration.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        region: str | None = None,
        profile: str | None = None,
        credentials: Credentials | None = None,
        timeouts: Timeouts | None = None,
        http: urllib3.PoolManager | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        endpoint = endpoint or os.environ.get(ENDPOINT_ENV)
        if not endpoint:
            raise ConfigurationError(f"no endpoint: pass endpoint= or set {ENDPOINT_ENV}")
        if not endpoint.startswith(("https://", "http://")):
            raise ConfigurationError(f"endpoint must be an http(s) URL, not {endpoint!r}")
        self.endpoint = endpoint.rstrip("/")
        signer = Signer(self.endpoint, region=region, profile=profile, credentials=credentials)
        self.region = signer.region
        self._http = Transport(
            self.endpoint, signer, timeouts or Timeouts(), http=http, sleep=sleep, clock=clock
        )

    # --- pushes -------------------------------------------------------------------------------

    def push(
        self,
        audience: Mapping[str, Any],
        *,
        text: str | None = None,
        message: Mapping[str, Any] | None = None,
        notification: Mapping[str, Any] | None = None,
        sender: str | None = None,
        offline_ttl_seconds: int | None = None,
        send_at: datetime | str | None = None,
        keep_in_history: bool | None = None,
        idempotency_key: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> PushAnswer:
        """POST /v1/pushes: submitted now, scheduled (`send_at`) or pending approval.

        One Idempotency-Key per call (yours, or a generated one), reused on the SDK's own
        retries, so the push is sent at most once however often it is retried.
        """
        body = _push_body(
            audience,
            text=text,
            message=message,
            notification=notification,
            sender=sender,
            offline_ttl_seconds=offline_ttl_seconds,
            send_at=send_at,
            keep_in_history=keep_in_history,
            extra=extra,
        )
        key = idempotency_key or new_idempotency_key()
        answer = self._http.request("POST", "/v1/pushes", body=body, idempotency_key=key)
        return cast(PushAnswer, answer.body)

    def dry_run(
        self,
        audience: Mapping[str, Any],
        *,
        text: str | None = None,
        message: Mapping[str, Any] | None = None,
        notification: Mapping[str, Any] | None = None,
        sender: str | None = None,
        offline_ttl_seconds: int | None = None,
        send_at: datetime | str | None = None,
        keep_in_history: bool | None = None,
        idempotency_key: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> DryRunAnswer:
        """POST /v1/pushes with dry_run: every check, the exact upstream body; consumes nothing."""
        body = _push_body(
            audience,
            text=text,
            message=message,
            notification=notification,
            sender=sender,
            offline_ttl_seconds=offline_ttl_seconds,
            send_at=send_at,
            keep_in_history=keep_in_history,
            extra=extra,
        )
        body["dry_run"] = True
        answer = self._http.request(
            "POST", "/v1/pushes", body=body, idempotency_key=idempotency_key
        )
        return cast(DryRunAnswer, answer.body)

    def quota(self, day: date | str | None = None) -> Quota:
        """GET /v1/quota [?date=YYYY-MM-DD]: the quota of today or of a day ahead."""
        query = {"date": day.isoformat() if isinstance(day, date) else day} if day else None
        return cast(Quota, self._http.request("GET", "/v1/quota", query=query).body)

    def get_push(self, push_id: str) -> PushRecord:
        """GET /v1/pushes/{id}: the push record (NotFound `push_not_found` when unknown)."""
        return cast(PushRecord, self._http.request("GET", _push_path(push_id)).body)

    def list_pushes(
        self,
        *,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        status: str | None = None,
        kind: str | None = None,
        caller: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> PushPage:
        """GET /v1/pushes: one page, newest first; pass `next_cursor` back for the next one."""
        query = {
            "since": _instant(since),
            "until": _instant(until),
            "status": status,
            "kind": kind,
            "caller": caller,
            "limit": str(limit) if limit is not None else None,
            "cursor": cursor,
        }
        present = {k: v for k, v in query.items() if v is not None}
        return cast(PushPage, self._http.request("GET", "/v1/pushes", query=present).body)

    def iter_pushes(self, **filters: Any) -> Iterator[PushRecord]:
        """Every push matching `filters` (those of list_pushes), following the cursor.

        The cursor is bound to its filters, so each page request repeats them unchanged.
        """
        filters.pop("cursor", None)
        cursor: str | None = None
        while True:
            page = self.list_pushes(**filters, cursor=cursor)
            yield from page["pushes"]
            # A page may be short, even empty, while more follow: only a null cursor ends it.
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def cancel_push(self, push_id: str) -> PushRecord:
        """DELETE /v1/pushes/{id}: cancel a scheduled push (Conflict `not_cancellable` else)."""
        return cast(PushRecord, self._http.request("DELETE", _push_path(push_id)).body)

    def recall_push(
        self,
        push_id: str,
        *,
        title: str | None = None,
        body: str | None = None,
        notification: Mapping[str, Any] | None = None,
    ) -> PushRecord:
        """POST /v1/pushes/{id}/recall with the replacement offline notification."""
        replacement = dict(notification or {})
        if title is not None:
            replacement["title"] = title
        if body is not None:
            replacement["body"] = body
        path = _push_path(push_id) + "/recall"
        answer = self._http.request("POST", path, body={"notification": replacement})
        return cast(PushRecord, answer.body)

    def push_report(self, push_id: str) -> PushReport:
        """GET /v1/pushes/{id}/report: delivery figures (Push service only)."""
        return cast(PushReport, self._http.request("GET", _push_path(push_id) + "/report").body)

    def approve_push(self, push_id: str) -> PushRecord:
        """POST /v1/pushes/{id}/approve: a second person lets a broadcast to everyone go out."""
        return cast(PushRecord, self._http.request("POST", _push_path(push_id) + "/approve").body)

    def reject_push(self, push_id: str) -> PushRecord:
        """POST /v1/pushes/{id}/reject: an approver refuses it, or the requester withdraws it."""
        return cast(PushRecord, self._http.request("POST", _push_path(push_id) + "/reject").body)

    # --- audience -----------------------------------------------------------------------------

    def attribute_names(self) -> AttributeNames:
        """GET /v1/attribute-names, in index order."""
        return cast(AttributeNames, self._http.request("GET", "/v1/attribute-names").body)

    def set_attribute_names(
        self, names: Sequence[str], *, allow_reindex: bool = False
    ) -> AttributeNames:
        """PUT /v1/attribute-names; moving or dropping a name needs `allow_reindex`."""
        body = {"names": list(names), "allow_reindex": allow_reindex}
        answer = self._http.request("PUT", "/v1/attribute-names", body=body)
        return cast(AttributeNames, answer.body)

    def user_attributes(self, accounts: Sequence[str]) -> UserAttributes:
        """GET /v1/users/attributes?accounts=a,b."""
        query = {"accounts": _accounts(accounts)}
        answer = self._http.request("GET", "/v1/users/attributes", query=query)
        return cast(UserAttributes, answer.body)

    def set_user_attributes(self, users: Mapping[str, Mapping[str, str]]) -> WriteResult:
        """PATCH /v1/users/attributes: {"alice": {"city": "NY"}}."""
        body = {"users": {a: dict(v) for a, v in users.items()}}
        return self._write("PATCH", "/v1/users/attributes", body)

    def remove_user_attributes(self, users: Mapping[str, Sequence[str]]) -> WriteResult:
        """POST /v1/users/attributes/remove: {"alice": ["city"]}."""
        body = {"users": {a: list(v) for a, v in users.items()}}
        return self._write("POST", "/v1/users/attributes/remove", body)

    def user_tags(self, accounts: Sequence[str]) -> UserTags:
        """GET /v1/users/tags?accounts=a,b."""
        query = {"accounts": _accounts(accounts)}
        return cast(UserTags, self._http.request("GET", "/v1/users/tags", query=query).body)

    def add_user_tags(self, users: Mapping[str, Sequence[str]]) -> WriteResult:
        """POST /v1/users/tags: {"alice": ["vip"]}."""
        return self._write("POST", "/v1/users/tags", {"users": _lists(users)})

    def remove_user_tags(self, users: Mapping[str, Sequence[str]]) -> WriteResult:
        """POST /v1/users/tags/remove: {"alice": ["beta"]}."""
        return self._write("POST", "/v1/users/tags/remove", {"users": _lists(users)})

    def clear_user_tags(self, accounts: Sequence[str]) -> WriteResult:
        """POST /v1/users/tags/clear: every tag of each account."""
        return self._write("POST", "/v1/users/tags/clear", {"accounts": list(accounts)})

    def _write(self, method: str, path: str, body: JSON) -> WriteResult:
        return cast(WriteResult, self._http.request(method, path, body=body).body)


def _push_body(
    audience: Mapping[str, Any],
    *,
    text: str | None,
    message: Mapping[str, Any] | None,
    notification: Mapping[str, Any] | None,
    sender: str | None,
    offline_ttl_seconds: int | None,
    send_at: datetime | str | None,
    keep_in_history: bool | None,
    extra: Mapping[str, Any] | None,
) -> JSON:
    if text is not None and message is not None:
        raise ConfigurationError("give either text= or message=, not both")
    body: JSON = {"audience": dict(audience)}
    if text is not None:
        body["message"] = {"text": text}
    elif message is not None:
        body["message"] = dict(message)
    optional = {
        "notification": dict(notification) if notification else None,
        "sender": sender,
        "offline_ttl_seconds": offline_ttl_seconds,
        "send_at": _instant(send_at),
        "keep_in_history": keep_in_history,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    # Fields this SDK version does not know yet; the gateway still rejects unknown ones (422).
    body.update(extra or {})
    return body


def _instant(value: datetime | str | None) -> str | None:
    """RFC 3339 with an explicit offset; a naive datetime is refused, not guessed."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ConfigurationError(f"{value!r} has no time zone; the gateway needs an offset")
    return value.isoformat()


def _push_path(push_id: str) -> str:
    if not push_id:
        raise ConfigurationError("push_id is empty")
    return "/v1/pushes/" + quote(push_id, safe="")


def _accounts(accounts: Sequence[str]) -> str:
    if isinstance(accounts, str):  # a lone "alice" must not become "a,l,i,c,e"
        accounts = [accounts]
    return ",".join(accounts)


def _lists(users: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    return {account: list(values) for account, values in users.items()}
