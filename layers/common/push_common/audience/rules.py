"""Rules that span items of a request (counts, duplicates, names the app knows), run after the
shape is validated, each problem naming the upstream code it prevents."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence, Sized

from pydantic_core import PydanticCustomError

from push_common.audience.validation import field_path, invalid, raise_if
from push_common.errors import FieldProblem
from push_common.upstream_rules import INVALID_ATTRIBUTE, MAX_TAGS_PER_LIST, utf8_length

MAX_ATTRIBUTE_NAMES = 10  # upstream index keys are "0".."9"
# Bounds the upstream calls of one request (10 chunks) so it finishes well inside the Lambda
# and API Gateway timeouts; a timeout mid-request would be exactly the silent half-apply we avoid.
MAX_ACCOUNTS_PER_REQUEST = 1000


def check_users(users: Mapping[str, Sized], *, max_items: int | None = None) -> None:
    """An account → items map: non-empty, bounded, no empty entry, ≤ `max_items` per account."""
    problems = [] if users else [FieldProblem("users", "at least one account is required")]
    if len(users) > MAX_ACCOUNTS_PER_REQUEST:
        problems.append(FieldProblem("users", f"at most {MAX_ACCOUNTS_PER_REQUEST} accounts"))
    for account, items in users.items():
        where = field_path(("users", account))
        if not len(items):
            problems.append(FieldProblem(where, "at least one entry is required"))
        elif max_items is not None and len(items) > max_items:
            message = f"at most {max_items} tags per account per call"
            problems.append(FieldProblem(where, message, 90032))
    raise_if(problems)


def check_added_tags(users: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Tags to add, each user's list de-duplicated (order kept), ≤ 10 per user (90032)."""
    unique = {account: list(dict.fromkeys(tags)) for account, tags in users.items()}
    check_users(unique, max_items=MAX_TAGS_PER_LIST)
    return unique


def check_accounts(accounts: Sequence[str], field: str = "accounts") -> list[str]:
    """A non-empty, bounded account list, de-duplicated in first-seen order."""
    unique = list(dict.fromkeys(accounts))
    if not unique:
        raise invalid([FieldProblem(field, "at least one account is required")])
    if len(unique) > MAX_ACCOUNTS_PER_REQUEST:
        raise invalid([FieldProblem(field, f"at most {MAX_ACCOUNTS_PER_REQUEST} accounts")])
    return unique


def parse_accounts_query(query: Mapping[str, str]) -> list[str]:
    """`?accounts=a,b` of the GET routes: comma-separated, no empty item, valid Unicode.

    Any other query parameter is refused, so a typo (`?account=`) is never silently ignored.
    """
    problems = [
        FieldProblem(name, "unknown query parameter") for name in query if name != "accounts"
    ]
    raw = query.get("accounts")
    if not raw:
        problems.append(FieldProblem("accounts", "query parameter accounts=a,b is required"))
    items = raw.split(",") if raw else []
    found = [_query_item_problem(i, item) for i, item in enumerate(items)]
    raise_if(problems + [p for p in found if p is not None])
    return check_accounts(items)


def _query_item_problem(index: int, item: str) -> FieldProblem | None:
    where = f"accounts[{index}]"
    if item == "":
        return FieldProblem(where, "account id must not be empty")
    try:
        utf8_length(item)
    except PydanticCustomError as exc:
        return FieldProblem(where, exc.message())
    return None


def check_names_list(names: Sequence[str]) -> None:
    """The app's new attribute names: at most 10 (index "0".."9"), no duplicates (90033)."""
    problems: list[FieldProblem] = []
    if len(names) > MAX_ATTRIBUTE_NAMES:
        message = f"at most {MAX_ATTRIBUTE_NAMES} attribute names"
        problems.append(FieldProblem("names", message, INVALID_ATTRIBUTE))
    first: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in first:
            message = f"duplicate of names[{first[name]}]"
            problems.append(FieldProblem(f"names[{index}]", message, INVALID_ATTRIBUTE))
        first.setdefault(name, index)
    raise_if(problems)


def check_known_names(users: Mapping[str, Collection[str]], known: Collection[str]) -> None:
    """Every attribute name used on a user must be one of the app's names (90033).

    `users` maps an account to a {name: value} map (set) or a list of names (remove).
    """
    problems: list[FieldProblem] = []
    for account, names in users.items():
        for index, name in enumerate(names):
            if name not in known:
                at = (account, name) if isinstance(names, Mapping) else (account, index)
                where = field_path(("users", *at))
                problems.append(FieldProblem(where, _unknown(known), INVALID_ATTRIBUTE))
    raise_if(problems)


def _unknown(known: Collection[str]) -> str:
    listed = ", ".join(known) or "none are set"
    return f"not an attribute name of this app ({listed})"
