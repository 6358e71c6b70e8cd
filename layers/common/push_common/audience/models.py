"""Request bodies of the audience routes: strict types, unknown fields rejected
(docs/architecture.md §3.4, docs/decisions.md §10).

Per-item rules (tag/value length, valid Unicode) run here; rules that span items (counts,
duplicates, names known to the app) run in `rules`, after the shape is known to be right.
"""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from push_common.upstream_rules import (
    MAX_ATTR_NAME_BYTES,
    AttrValue,
    Tag,
    tim_rule,
    utf8_length,
)


def check_account(account: str) -> str:
    if account == "":
        raise tim_rule("account id must not be empty", None)
    utf8_length(account)
    return account


def check_new_attr_name(name: str) -> str:
    """A name the app is given (`PUT /v1/attribute-names`); names in use are `AttrName`."""
    # Upstream gives no code of its own for a bad name in im_set_attr_name; 90030 ("attribute
    # length 0 or > 50") is the documented code for exactly this length rule on attributes.
    if name == "":
        raise tim_rule("attribute name must not be empty", 90030)
    if utf8_length(name) > MAX_ATTR_NAME_BYTES:
        raise tim_rule(f"attribute name is longer than {MAX_ATTR_NAME_BYTES} UTF-8 bytes", 90030)
    return name


def check_attr_key(name: str) -> str:
    """A name used on a user: only encodability here; membership is checked against the app."""
    utf8_length(name)
    return name


Account = Annotated[str, AfterValidator(check_account)]
NewAttrName = Annotated[str, AfterValidator(check_new_attr_name)]
AttrKey = Annotated[str, AfterValidator(check_attr_key)]


class _Body(BaseModel):
    # strict: an account id 123 must not silently become "123" (upstream 60015 otherwise).
    # Built on first use, not at import (docs/architecture.md §10).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class SetAttributeNames(_Body):
    """`PUT /v1/attribute-names`."""

    names: list[NewAttrName]
    allow_reindex: bool = False


class SetUserAttributes(_Body):
    """`PATCH /v1/users/attributes`: account → {name: value}."""

    users: dict[Account, dict[AttrKey, AttrValue]]


class RemoveUserAttributes(_Body):
    """`POST /v1/users/attributes/remove`: account → [name]."""

    users: dict[Account, list[AttrKey]]


class UserTags(_Body):
    """`POST /v1/users/tags` (add) and `POST /v1/users/tags/remove`: account → [tag]."""

    users: dict[Account, list[Tag]]


class ClearTags(_Body):
    """`POST /v1/users/tags/clear`."""

    accounts: list[Account]
