"""The two upstream API families and the one place that says which path serves which command.

docs/upstream.md §2 (`v4/all_member_push/*`) and §3 (`v4/timpush/*`); the choice between them
is `TIM_PUSH_API` (docs/decisions.md §16). The gateway never mixes the families: with `timpush`
configured, every audience command goes to its Push-service twin.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

UpstreamApi = Literal["all_member_push", "timpush"]
ALL_MEMBER_PUSH: UpstreamApi = "all_member_push"
TIMPUSH: UpstreamApi = "timpush"

# all_member_push audience command → its timpush twin (docs/upstream.md §3, §3.3).
_AUDIENCE_TWINS: dict[str, str] = {
    "im_set_attr_name": "set_attr_name",
    "im_get_attr_name": "get_attr_name",
    "im_get_attr": "get_attr",
    "im_set_attr": "set_attr",
    "im_remove_attr": "remove_attr",
    "im_get_tag": "get_tag",
    "im_add_tag": "add_tag",
    "im_remove_tag": "remove_tag",
    "im_remove_all_tags": "clear_all_tags",
}
AUDIENCE_TWINS: Mapping[str, str] = MappingProxyType(_AUDIENCE_TWINS)


def route(api: UpstreamApi, service: str, command: str) -> tuple[str, str]:
    """(service, command) actually called for a command named in the legacy family.

    Only the nine audience commands have twins; every other command (the pushes, revoke,
    statistics) is addressed explicitly by its caller and passes through unchanged.
    """
    if api == TIMPUSH and service == ALL_MEMBER_PUSH and command in _AUDIENCE_TWINS:
        return TIMPUSH, _AUDIENCE_TWINS[command]
    return service, command
