"""What the sandbox remembers: attribute names, users, their attributes and tags, pushes, calls."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from devstack.sandbox.errors import JsonObj
from devstack.sandbox.rules import Condition

HISTORY_LIMIT = 20_000


@dataclass
class SandboxState:
    """Plain data; the server serialises access with one lock.

    Attribute values are stored by index ("0".."9") as Tencent does, so renaming an index
    re-targets the stored values.
    """

    attr_names: dict[str, str] = field(default_factory=dict)
    user_attrs: dict[str, dict[str, str]] = field(default_factory=dict)
    user_tags: dict[str, list[str]] = field(default_factory=dict)
    users: set[str] = field(default_factory=set)
    # Bounded so a long-running local stack does not grow without end; far above any test's needs.
    pushes: deque[JsonObj] = field(default_factory=lambda: deque(maxlen=HISTORY_LIMIT))
    calls: deque[JsonObj] = field(default_factory=lambda: deque(maxlen=HISTORY_LIMIT))
    task_seq: int = 0
    # timpush tasks by TaskId (push, batch): recipients, time, revocation (sandbox/timpush.py).
    tasks: dict[str, JsonObj] = field(default_factory=dict)

    def name_index(self) -> dict[str, str]:
        """Attribute name -> index."""
        return {name: index for index, name in self.attr_names.items()}

    def attrs_by_name(self, account: str) -> dict[str, str]:
        """One user's attributes keyed by their current names (unnamed indexes are hidden)."""
        stored = self.user_attrs.get(account, {})
        return {self.attr_names[i]: v for i, v in sorted(stored.items()) if i in self.attr_names}

    def touch(self, account: str) -> None:
        """Make `account` known (it has tags/attributes or was imported)."""
        self.users.add(account)

    def recipients(self, condition: Condition | None) -> list[str]:
        """Known users the condition selects, sorted; no condition selects everyone."""
        return sorted(u for u in self.users if condition is None or self._matches(u, condition))

    def _matches(self, account: str, cond: Condition) -> bool:
        tags = set(self.user_tags.get(account, []))
        attrs = self.attrs_by_name(account)
        checks = (
            not cond.tags_or or bool(tags.intersection(cond.tags_or)),
            tags.issuperset(cond.tags_and),
            not cond.attrs_or or any(attrs.get(k) == v for k, v in cond.attrs_or.items()),
            all(attrs.get(k) == v for k, v in cond.attrs_and.items()),
        )
        return all(checks)

    def snapshot(self) -> JsonObj:
        """A JSON-ready copy of the audience data."""
        return {
            "attr_names": dict(self.attr_names),
            "user_attrs": {u: self.attrs_by_name(u) for u in sorted(self.user_attrs)},
            "user_tags": {u: list(t) for u, t in sorted(self.user_tags.items())},
            "users": sorted(self.users),
        }
