"""Each `tim-push` command: turn parsed arguments into one SDK call and its printable outcome."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tim_push.cli import output
from tim_push.client import TimPushClient
from tim_push.models import JSON, Audience


class UsageError(Exception):
    """The command line is wrong in a way argparse cannot see (exit 2)."""


@dataclass(frozen=True)
class Outcome:
    """What a command produced: the JSON for --json, the text for people."""

    data: Any
    human: str
    partial_failure: bool = False


def run(args: argparse.Namespace, client: TimPushClient) -> Outcome:
    command: Callable[[argparse.Namespace, TimPushClient], Outcome] = _COMMANDS[args.command]
    return command(args, client)


def _send(args: argparse.Namespace, client: TimPushClient) -> Outcome:
    audience = audience_of(args)
    notification = {k: v for k, v in (("title", args.title), ("body", args.body)) if v is not None}
    options: dict[str, Any] = {
        "text": args.text,
        "notification": notification or None,
        "sender": args.sender,
        "offline_ttl_seconds": args.ttl,
        "send_at": with_offset(args.send_at, "--send-at"),
        "idempotency_key": args.key,
    }
    if args.dry_run:
        dry = client.dry_run(audience, **options)
        return Outcome(dry, output.dry_run_text(dry))
    answer = client.push(audience, **options)
    return Outcome(answer, output.push_answer_text(answer))


def audience_of(args: argparse.Namespace) -> JSON:
    """Exactly one audience kind; tags (or attributes) may mix "any of" and "all of"."""
    kinds = {
        "--all": args.all,
        "--tag/--all-tags": bool(args.tag or args.all_tags),
        "--attr/--all-attrs": bool(args.attr or args.all_attrs),
        "--account": bool(args.account),
    }
    chosen = [name for name, given in kinds.items() if given]
    if len(chosen) != 1:
        raise UsageError(
            "say who receives the push: exactly one of --all, --tag/--all-tags, "
            "--attr/--all-attrs, --account" + (f" (got {', '.join(chosen)})" if chosen else "")
        )
    if args.all:
        return Audience.everyone()
    if args.tag or args.all_tags:
        return Audience.tags(any_of=args.tag or (), all_of=args.all_tags or ())
    if args.attr or args.all_attrs:
        return Audience.attributes(
            any_of=pairs(args.attr or (), "--attr"),
            all_of=pairs(args.all_attrs or (), "--all-attrs"),
        )
    return Audience.accounts(args.account)


def pairs(items: Sequence[str], option: str) -> dict[str, str]:
    """K=V arguments as a dict (the value may itself contain '=')."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"{option} takes NAME=VALUE, not {item!r}")
        out[name] = value
    return out


def with_offset(value: str | None, option: str) -> str | None:
    """An RFC 3339 instant; a time without an offset is taken as the caller's local time."""
    if value is None:
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} takes an ISO 8601 / RFC 3339 time, not {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()  # naive → this machine's zone, said explicitly
        return parsed.isoformat()
    return value


def _quota(args: argparse.Namespace, client: TimPushClient) -> Outcome:
    quota = client.quota(args.date)
    return Outcome(quota, output.quota_text(quota))


def _get(args: argparse.Namespace, client: TimPushClient) -> Outcome:
    record = client.get_push(args.push_id)
    return Outcome(record, output.record_text(record))


def _list(args: argparse.Namespace, client: TimPushClient) -> Outcome:
    page = client.list_pushes(
        since=with_offset(args.since, "--since"),
        until=with_offset(args.until, "--until"),
        status=args.status,
        kind=args.kind,
        caller=args.caller,
        limit=args.limit,
        cursor=args.cursor,
    )
    return Outcome(page, output.page_text(page))


def _record(verb: str) -> Callable[[argparse.Namespace, TimPushClient], Outcome]:
    def command(args: argparse.Namespace, client: TimPushClient) -> Outcome:
        call: Callable[[str], Mapping[str, Any]] = getattr(client, f"{verb}_push")
        record = call(args.push_id)
        return Outcome(record, output.record_text(record))

    return command


def _recall(args: argparse.Namespace, client: TimPushClient) -> Outcome:
    record = client.recall_push(args.push_id, title=args.title, body=args.body)
    return Outcome(record, output.record_text(record))


def _report(args: argparse.Namespace, client: TimPushClient) -> Outcome:
    report = client.push_report(args.push_id)
    return Outcome(report, output.report_text(report))


def _written(result: Mapping[str, Any]) -> Outcome:
    return Outcome(result, output.write_text(result), partial_failure=bool(result.get("failed")))


def _tags(args: argparse.Namespace, client: TimPushClient) -> Outcome:
    if args.action == "add":
        return _written(client.add_user_tags({args.account: args.tags}))
    if args.action == "remove":
        return _written(client.remove_user_tags({args.account: args.tags}))
    if args.action == "clear":
        return _written(client.clear_user_tags(args.accounts))
    tags = client.user_tags(args.accounts)
    return Outcome(tags, output.tags_text(tags.get("users", {})))


def _attrs(args: argparse.Namespace, client: TimPushClient) -> Outcome:
    if args.action == "set":
        return _written(client.set_user_attributes({args.account: pairs(args.pairs, "set")}))
    if args.action == "remove":
        return _written(client.remove_user_attributes({args.account: args.names}))
    if args.action == "get":
        attrs = client.user_attributes(args.accounts)
        return Outcome(attrs, output.attrs_text(attrs.get("users", {})))
    if args.names:
        names = client.set_attribute_names(args.names, allow_reindex=args.allow_reindex)
    else:
        names = client.attribute_names()
    return Outcome(names, "\n".join(names.get("names") or []) or "no attribute names")


_COMMANDS: dict[str, Callable[[argparse.Namespace, TimPushClient], Outcome]] = {
    "send": _send,
    "quota": _quota,
    "get": _get,
    "list": _list,
    "cancel": _record("cancel"),
    "recall": _recall,
    "report": _report,
    "approve": _record("approve"),
    "reject": _record("reject"),
    "tags": _tags,
    "attrs": _attrs,
}
