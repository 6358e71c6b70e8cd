"""Who may push what (docs/architecture.md §5): allowed senders, who may address everyone,
attribute names."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from push_common.errors import FieldProblem, Forbidden, ValidationFailed
from push_common.identity import is_listed
from push_common.push.request import PushRequest
from push_common.settings import Settings
from push_common.validation import field_path


def check_caller_policy(req: PushRequest, *, admin: str, caller: str, settings: Settings) -> None:
    """403 when the sender or an everyone-audience is not allowed for this caller.

    `caller` is the normalised caller; a listed role matches all of its sessions, whatever
    path the list gives it.
    """
    if (
        req.sender is not None
        and req.sender != admin
        and req.sender not in settings.allowed_senders
    ):
        raise Forbidden(
            f"sender {req.sender!r} is not in ALLOWED_SENDERS", code="sender_not_allowed"
        )
    allowed = settings.broadcast_all_principals
    if req.audience.all and allowed and not is_listed(caller, allowed):
        raise Forbidden(
            "this caller may not push to all users (BROADCAST_ALL_PRINCIPALS)",
            code="broadcast_not_allowed",
        )


def check_event_source(source: str, settings: Settings) -> None:
    """403 `source_not_allowed` for an event whose `source` is not in ALLOWED_EVENT_SOURCES.

    The rule already filters on these sources when the stack creates it; checking again here
    keeps the list true for a hand-made rule or a shared bus, and the refusal is reported
    instead of silently dropped.
    """
    allowed = settings.allowed_event_sources
    if allowed and source not in allowed:
        raise Forbidden(
            f"events from source {source!r} may not request pushes (ALLOWED_EVENT_SOURCES)",
            code="source_not_allowed",
        )


def check_attribute_names(
    req: PushRequest, names: Callable[[Iterable[str]], tuple[str, ...]]
) -> None:
    """422 naming upstream 90033 when a condition uses a name the app has not defined.

    `names(wanted)` returns the app's names, re-reading upstream when a wanted one is missing
    from its cache (another Lambda may just have added it).
    """
    attributes = req.audience.attributes
    if attributes is None:
        return
    known = set(names(attributes.names()))
    problems = [
        FieldProblem(
            field=field_path(("audience", "attributes", which, name)),
            message=f"{name!r} is not one of the app's attribute names {sorted(known)}",
            upstream_code=90033,
        )
        for which, condition in (("any", attributes.any_of), ("all", attributes.all_of))
        for name in condition
        if name not in known
    ]
    if problems:
        raise ValidationFailed("unknown attribute names; nothing was sent", errors=problems)


def needs_approval(req: PushRequest, settings: Settings) -> bool:
    """A real push to everyone while APPROVAL_REQUIRED=all (a dry run never needs one)."""
    return settings.approval_required == "all" and req.audience.all is True and not req.dry_run
