"""The `tim-push` command line: every command and option, nothing else."""

from __future__ import annotations

import argparse

from tim_push import __version__

EPILOG = """exit codes: 0 ok, 1 refused (4xx, or an audience write that failed for some
accounts), 2 usage or configuration, 3 upstream failure or outcome unknown (5xx, no answer)"""


def _common() -> argparse.ArgumentParser:
    """Options accepted before or after the command (SUPPRESS: a later one wins, none resets)."""
    common = argparse.ArgumentParser(add_help=False)
    s = argparse.SUPPRESS
    common.add_argument("--endpoint", default=s, help="API base URL (default: $TIM_PUSH_ENDPOINT)")
    common.add_argument("--region", default=s, help="AWS region of the API (signing scope)")
    common.add_argument("--profile", default=s, help="AWS profile for credentials")
    common.add_argument("--json", action="store_true", default=s, help="print JSON for scripts")
    common.add_argument("--timeout", type=float, default=s, help="read timeout in seconds")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="tim-push",
        description="Push to an app's users and manage their tags and attributes "
        "through tim-push-gateway (requests are SigV4-signed with your AWS credentials).",
        epilog=EPILOG,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=text, description=text, parents=[common])

    _send(command("send", "send (or schedule, or dry-run) a push"))
    quota = command("quota", "today's quota, or that of a day ahead")
    quota.add_argument("--date", help="YYYY-MM-DD in the quota's time zone")
    command("get", "one push record").add_argument("push_id", metavar="ID")
    _list(command("list", "push records, newest first"))
    command("cancel", "cancel a scheduled push").add_argument("push_id", metavar="ID")
    recall = command("recall", "recall a push (Push service), replacing its notification")
    recall.add_argument("push_id", metavar="ID")
    recall.add_argument("--title", required=True, help="replacement notification title")
    recall.add_argument("--body", required=True, help="replacement notification body")
    command("report", "delivery report of a push (Push service)").add_argument(
        "push_id", metavar="ID"
    )
    command("approve", "approve a push waiting for approval").add_argument("push_id", metavar="ID")
    command("reject", "reject (or withdraw) a push waiting for approval").add_argument(
        "push_id", metavar="ID"
    )
    _tags(command("tags", "user tags"), common)
    _attrs(command("attrs", "user attributes and the app's attribute names"), common)
    return parser


def _send(send: argparse.ArgumentParser) -> None:
    who = send.add_argument_group(
        "audience (one kind; --tag/--all-tags and --attr/--all-attrs mix)"
    )
    who.add_argument("--all", action="store_true", help="every user of the app")
    who.add_argument("--tag", nargs="+", action="extend", metavar="T", help="users with any of")
    who.add_argument("--all-tags", nargs="+", action="extend", metavar="T", help="with all of")
    who.add_argument(
        "--attr", nargs="+", action="extend", metavar="K=V", help="users matching any of"
    )
    who.add_argument(
        "--all-attrs", nargs="+", action="extend", metavar="K=V", help="users matching all of"
    )
    who.add_argument(
        "--account", nargs="+", action="extend", metavar="A", help="test send to named users"
    )
    send.add_argument("--text", help="message text")
    send.add_argument("--title", help="offline notification title")
    send.add_argument("--body", help="offline notification body")
    send.add_argument("--ttl", type=int, metavar="SECONDS", help="offline_ttl_seconds (0..604800)")
    send.add_argument(
        "--send-at",
        metavar="TIME",
        help="schedule: RFC 3339 (e.g. 2026-12-01T09:00:00+08:00); without an offset, local time",
    )
    send.add_argument("--dry-run", action="store_true", help="check everything, send nothing")
    send.add_argument("--key", help="Idempotency-Key (default: a new one per command)")
    send.add_argument("--sender", help="From_Account (must be allowed by the gateway)")


def _list(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--since", help="RFC 3339 instant (without an offset: local time)")
    cmd.add_argument("--until", help="RFC 3339 instant (without an offset: local time)")
    cmd.add_argument("--status", help="e.g. submitted, scheduled, pending_approval")
    cmd.add_argument("--kind", help="broadcast or test")
    cmd.add_argument("--caller", help="caller ARN (normalised)")
    cmd.add_argument("--limit", type=int, help="1-100 (default 20)")
    cmd.add_argument("--cursor", help="next_cursor of the previous page")


def _tags(tags: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    sub = tags.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = sub.add_parser("add", help="add tags to one account", parents=[common])
    add.add_argument("account", metavar="ACCOUNT")
    add.add_argument("tags", nargs="+", metavar="TAG")
    remove = sub.add_parser("remove", help="remove tags from one account", parents=[common])
    remove.add_argument("account", metavar="ACCOUNT")
    remove.add_argument("tags", nargs="+", metavar="TAG")
    clear = sub.add_parser("clear", help="remove every tag of accounts", parents=[common])
    clear.add_argument("accounts", nargs="+", metavar="ACCOUNT")
    get = sub.add_parser("get", help="tags of accounts", parents=[common])
    get.add_argument("accounts", nargs="+", metavar="ACCOUNT")


def _attrs(attrs: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    sub = attrs.add_subparsers(dest="action", required=True, metavar="ACTION")
    set_ = sub.add_parser("set", help="set attributes of one account", parents=[common])
    set_.add_argument("account", metavar="ACCOUNT")
    set_.add_argument("pairs", nargs="+", metavar="K=V")
    remove = sub.add_parser("remove", help="remove attributes of one account", parents=[common])
    remove.add_argument("account", metavar="ACCOUNT")
    remove.add_argument("names", nargs="+", metavar="K")
    get = sub.add_parser("get", help="attributes of accounts", parents=[common])
    get.add_argument("accounts", nargs="+", metavar="ACCOUNT")
    names = sub.add_parser(
        "names", help="the app's attribute names; with NAMEs, set them", parents=[common]
    )
    names.add_argument("names", nargs="*", metavar="NAME")
    names.add_argument(
        "--allow-reindex", action="store_true", help="allow moving or dropping a name"
    )
