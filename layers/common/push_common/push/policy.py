"""Who may push what (docs/architecture.md §5): allowed senders, who may address everyone,
attribute names."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from push_common.errors import FieldProblem, Forbidden, ValidationFailed
from push_common.push.request import PushRequest
from push_common.settings import Settings
from push_common.validation import field_path


def check_caller_policy(req: PushRequest, *, admin: str, caller: str, settings: Settings) -> None:
    """403 when the sender or an everyone-audience is not allowed for this caller."""
    if (
        req.sender is not None
        and req.sender != admin
        and req.sender not in settings.allowed_senders
    ):
        raise Forbidden(
            f"sender {req.sender!r} is not in ALLOWED_SENDERS", code="sender_not_allowed"
        )
    allowed = settings.broadcast_all_principals
    if req.audience.all and allowed and caller not in allowed:
        raise Forbidden(
            "this caller may not push to all users (BROADCAST_ALL_PRINCIPALS)",
            code="broadcast_not_allowed",
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
