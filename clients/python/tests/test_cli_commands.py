"""`tim-push` commands against a stub gateway: requests sent, output printed, exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tim_push.cli import main
from tim_push.cli.output import local_time

if TYPE_CHECKING:
    from tests.conftest import StubGateway

ACCEPTED = {
    "push_id": "p-1",
    "task_id": "1400000000_7",
    "status": "submitted",
    "quota": {"limit": 100, "used": 4, "remaining": 96, "resets_at": "2026-11-30T00:00:00+08:00"},
}
RECORD = {
    "push_id": "p-1",
    "status": "outcome_unknown",
    "created_at": "2026-11-29T10:00:00.123Z",
    "caller": "arn:aws:iam::123456789012:role/orders",
    "kind": "broadcast",
    "task_id": None,
    "error": {"code": "outcome_unknown", "detail": "no answer from Tencent IM"},
}


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(stub: StubGateway):
    def run(*argv: str, endpoint: bool = True) -> Run:
        out, err = io.StringIO(), io.StringIO()
        args = [*argv, "--endpoint", stub.url] if endpoint else list(argv)
        code = main(args, stdout=out, stderr=err)
        return Run(code, out.getvalue(), err.getvalue())

    return run


def test_send_to_tags_prints_a_summary_and_exits_0(stub: StubGateway, cli) -> None:
    stub.answer(202, ACCEPTED)
    run = cli("send", "--tag", "vip", "beta", "--all-tags", "paid", "--text", "Sale starts now")
    assert run.code == 0, run.err
    assert stub.last.body == {
        "audience": {"tags": {"any": ["vip", "beta"], "all": ["paid"]}},
        "message": {"text": "Sale starts now"},
    }
    assert stub.last.signature == stub.signature_ok
    assert "push p-1 submitted (task 1400000000_7)" in run.out
    assert "quota: 4/100 used, 96 left, resets " in run.out
    assert local_time("2026-11-30T00:00:00+08:00") in run.out


def test_send_options_and_json_output(stub: StubGateway, cli) -> None:
    stub.answer(202, ACCEPTED)
    run = cli(
        "send", "--attr", "city=New York", "--all-attrs", "tier=a=b", "--text", "hi",
        "--title", "T", "--body", "B", "--ttl", "60", "--sender", "ops-bot",
        "--key", "sale-1", "--send-at", "2026-12-01T09:00:00+08:00", "--json",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert json.loads(run.out) == ACCEPTED
    assert stub.last.headers["idempotency-key"] == "sale-1"
    assert stub.last.body == {
        "audience": {"attributes": {"any": {"city": "New York"}, "all": {"tier": "a=b"}}},
        "message": {"text": "hi"},
        "notification": {"title": "T", "body": "B"},
        "offline_ttl_seconds": 60,
        "sender": "ops-bot",
        "send_at": "2026-12-01T09:00:00+08:00",
    }


def test_a_send_at_without_offset_is_local_time(stub: StubGateway, cli) -> None:
    stub.answer(202, {"push_id": "p-2", "status": "scheduled", "send_at": "2026-12-01T01:00:00Z"})
    run = cli("send", "--all", "--text", "x", "--send-at", "2026-12-01T09:00")
    assert run.code == 0, run.err
    sent = datetime.fromisoformat(stub.last.body["send_at"])
    assert sent.tzinfo is not None
    assert sent == datetime(2026, 12, 1, 9, 0).astimezone()
    assert f"push p-2 scheduled for {local_time('2026-12-01T01:00:00Z')}" in run.out


def test_a_test_send_to_accounts(stub: StubGateway, cli) -> None:
    stub.answer(202, {"push_id": "p-3", "task_id": "t", "status": "submitted"})
    run = cli("send", "--account", "alice", "bob", "--title", "T", "--body", "B")
    assert run.code == 0, run.err
    assert stub.last.body == {
        "audience": {"accounts": ["alice", "bob"]},
        "notification": {"title": "T", "body": "B"},
    }


def test_dry_run_prints_the_upstream_body(stub: StubGateway, cli) -> None:
    quota = ACCEPTED["quota"]
    stub.answer(200, {"dry_run": True, "upstream_request": {"MsgRandom": 7}, "quota": quota})
    run = cli("send", "--all", "--text", "x", "--dry-run")
    assert run.code == 0
    assert stub.last.body["dry_run"] is True
    assert "nothing sent" in run.out
    assert '"MsgRandom": 7' in run.out


@pytest.mark.parametrize(
    "argv",
    [
        ["send", "--text", "no audience"],
        ["send", "--all", "--tag", "vip", "--text", "two kinds"],
        ["send", "--tag", "vip", "--attr", "a=b", "--text", "two kinds"],
        ["send", "--attr", "city", "--text", "no equals sign"],
        ["send", "--all", "--send-at", "tomorrow", "--text", "x"],
        ["send", "--all", "--ttl", "soon"],
        ["recall", "p-1", "--title", "only a title"],
        ["tags", "add", "alice"],
        ["frobnicate"],
        [],
    ],
)
def test_usage_errors_exit_2_and_send_nothing(stub: StubGateway, cli, argv: list[str]) -> None:
    run = cli(*argv)
    assert run.code == 2
    assert stub.received == []
    assert run.err


def test_no_endpoint_exits_2(cli) -> None:
    run = cli("quota", endpoint=False)
    assert run.code == 2
    assert "TIM_PUSH_ENDPOINT" in run.err


def test_no_credentials_exits_2(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    run = cli("quota")
    assert run.code == 2
    assert "no AWS credentials" in run.err


def test_an_unknown_profile_exits_2(cli) -> None:
    run = cli("quota", "--profile", "no-such-profile")
    assert run.code == 2
    assert "no-such-profile" in run.err


def test_a_refusal_prints_detail_and_each_field_and_exits_1(stub: StubGateway, cli) -> None:
    errors = [{"field": "audience.tags.any[0]", "message": "tag is empty", "upstream_code": 90020}]
    stub.problem(422, "validation_failed", detail="1 field is invalid", errors=errors)
    run = cli("send", "--tag", "", "--text", "x")
    assert run.code == 1
    assert "422 validation_failed: 1 field is invalid" in run.err
    assert "audience.tags.any[0]: tag is empty (upstream 90020)" in run.err


def test_a_refusal_with_json_prints_the_problem(stub: StubGateway, cli) -> None:
    stub.problem(403, "broadcast_not_allowed")
    run = cli("send", "--all", "--text", "x", "--json")
    assert run.code == 1
    assert json.loads(run.out)["code"] == "broadcast_not_allowed"


def test_outcome_unknown_exits_3_with_the_push_id(stub: StubGateway, cli) -> None:
    stub.problem(504, "outcome_unknown", push_id="p-9")
    run = cli("send", "--all", "--text", "x", "--key", "k-9")
    assert run.code == 3
    assert "push_id: p-9" in run.err
    assert "tim-push get p-9" in run.err
    assert len(stub.received) == 1


def test_an_upstream_rejection_exits_3(stub: StubGateway, cli) -> None:
    stub.problem(502, "upstream_rejected", upstream_code=90009)
    run = cli("quota")
    assert run.code == 3
    assert "upstream code: 90009" in run.err


def test_quota_of_a_day(stub: StubGateway, cli) -> None:
    stub.answer(
        200,
        {"limit": 100, "used": 0, "scheduled": 2, "remaining": 98, "timezone": "Asia/Shanghai",
         "resets_at": "2026-12-02T00:00:00+08:00", "next_push_not_before": None},
    )  # fmt: skip
    run = cli("quota", "--date", "2026-12-01")
    assert run.code == 0
    assert stub.last.query == {"date": "2026-12-01"}
    assert "0/100 used, 2 scheduled, 98 left" in run.out
    assert "Asia/Shanghai" in run.out


def test_get_shows_the_record_in_local_time(stub: StubGateway, cli) -> None:
    stub.answer(200, RECORD)
    run = cli("get", "p-1")
    assert run.code == 0
    assert stub.last.path == "/v1/pushes/p-1"
    assert local_time("2026-11-29T10:00:00.123Z") in run.out
    assert "outcome_unknown: no answer from Tencent IM" in run.out


def test_list_is_a_table_with_the_next_cursor(stub: StubGateway, cli) -> None:
    stub.answer(200, {"pushes": [RECORD, {**RECORD, "push_id": "p-0", "status": "submitted"}],
                      "next_cursor": "abc"})  # fmt: skip
    run = cli("list", "--since", "2026-11-29T00:00:00Z", "--status", "submitted",
              "--caller", "arn:aws:iam::1:role/x", "--limit", "2")  # fmt: skip
    assert run.code == 0
    assert stub.last.query == {
        "since": "2026-11-29T00:00:00Z",
        "status": "submitted",
        "caller": "arn:aws:iam::1:role/x",
        "limit": "2",
    }
    lines = run.out.splitlines()
    assert lines[0].split() == ["CREATED", "PUSH", "ID", "STATUS", "KIND", "CALLER"]
    assert "p-1" in lines[1] and "outcome_unknown" in lines[1]
    assert "p-0" in lines[2]
    assert lines[-1] == "more: --cursor abc"


@pytest.mark.parametrize(
    ("argv", "method", "path", "body"),
    [
        (["cancel", "p-1"], "DELETE", "/v1/pushes/p-1", None),
        (["approve", "p-1"], "POST", "/v1/pushes/p-1/approve", None),
        (["reject", "p-1"], "POST", "/v1/pushes/p-1/reject", None),
        (
            ["recall", "p-1", "--title", "T", "--body", "B"],
            "POST",
            "/v1/pushes/p-1/recall",
            {"notification": {"title": "T", "body": "B"}},
        ),
    ],
)
def test_record_commands(stub: StubGateway, cli, argv, method, path, body) -> None:
    stub.answer(200, {**RECORD, "status": "cancelled"})
    run = cli(*argv)
    assert run.code == 0
    assert (stub.last.method, stub.last.path, stub.last.body) == (method, path, body)
    assert "cancelled" in run.out


def test_report_table(stub: StubGateway, cli) -> None:
    stub.answer(200, {"push_id": "p-1", "task_id": "t-1", "total": 10, "sent": 9, "delivered": 8,
                      "clicked": 1, "as_of": "2026-11-29T10:00:00Z",
                      "platforms": [{"platform": 1, "event_type": 0, "total": 10, "sent": 9,
                                     "delivered": 8, "clicked": 1}]})  # fmt: skip
    run = cli("report", "p-1")
    assert run.code == 0
    assert "total 10, sent 9, delivered 8, clicked 1" in run.out
    assert "PLATFORM" in run.out


@pytest.mark.parametrize(
    ("argv", "method", "path", "body"),
    [
        (["tags", "add", "alice", "vip", "beta"], "POST", "/v1/users/tags",
         {"users": {"alice": ["vip", "beta"]}}),
        (["tags", "remove", "alice", "beta"], "POST", "/v1/users/tags/remove",
         {"users": {"alice": ["beta"]}}),
        (["tags", "clear", "alice", "bob"], "POST", "/v1/users/tags/clear",
         {"accounts": ["alice", "bob"]}),
        (["attrs", "set", "alice", "city=NY", "sex=F"], "PATCH", "/v1/users/attributes",
         {"users": {"alice": {"city": "NY", "sex": "F"}}}),
        (["attrs", "remove", "alice", "city"], "POST", "/v1/users/attributes/remove",
         {"users": {"alice": ["city"]}}),
    ],
)  # fmt: skip
def test_audience_writes(stub: StubGateway, cli, argv, method, path, body) -> None:
    stub.answer(200, {"succeeded": ["alice"], "failed": []})
    run = cli(*argv)
    assert run.code == 0, run.err
    assert (stub.last.method, stub.last.path, stub.last.body) == (method, path, body)
    assert run.out.strip() == "succeeded: alice"


def test_a_write_that_failed_for_an_account_exits_1(stub: StubGateway, cli) -> None:
    failed = [{"account": "bob", "code": "account_not_found", "upstream_code": 90011,
               "detail": "no such user"}]  # fmt: skip
    stub.answer(200, {"succeeded": ["alice"], "failed": failed})
    run = cli("tags", "clear", "alice", "bob")
    assert run.code == 1
    assert "failed: bob (account_not_found, upstream 90011): no such user" in run.out


def test_tags_and_attrs_get(stub: StubGateway, cli) -> None:
    stub.answer(200, {"users": {"alice": ["vip", "beta"], "bob": []}})
    run = cli("tags", "get", "alice", "bob")
    assert stub.last.query == {"accounts": "alice,bob"}
    assert run.out.splitlines() == ["alice: vip, beta", "bob: -"]
    stub.answer(200, {"users": {"alice": {"city": "NY"}}})
    run = cli("attrs", "get", "alice")
    assert run.out.splitlines() == ["alice: city=NY"]


def test_attrs_names_reads_or_sets(stub: StubGateway, cli) -> None:
    stub.answer(200, {"names": ["sex", "city"]})
    assert cli("attrs", "names").out.splitlines() == ["sex", "city"]
    assert stub.last.method == "GET"
    stub.answer(200, {"names": ["sex", "city", "tier"]})
    run = cli("attrs", "names", "sex", "city", "tier")
    assert run.code == 0
    assert (stub.last.method, stub.last.body) == (
        "PUT",
        {"names": ["sex", "city", "tier"], "allow_reindex": False},
    )


def test_options_work_before_the_command_too(stub: StubGateway) -> None:
    stub.answer(200, {"limit": 100, "used": 1, "remaining": 99})
    out = io.StringIO()
    assert main(["--endpoint", stub.url, "--json", "quota"], stdout=out) == 0
    assert json.loads(out.getvalue())["remaining"] == 99


def test_local_time_converts_utc_to_the_local_zone() -> None:
    shown = local_time("2026-11-29T10:00:00.123Z")
    expected = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc).astimezone()
    assert shown == expected.isoformat(sep=" ", timespec="seconds")
    assert local_time(None) == "-"
    assert local_time("not a time") == "not a time"


def test_the_console_script_is_installed(stub: StubGateway) -> None:
    script = Path(sys.executable).with_name("tim-push")
    if not script.exists():
        pytest.skip("tim-push is not installed next to this interpreter")
    stub.answer(200, {"limit": 100, "used": 1, "remaining": 99})
    done = subprocess.run(
        [str(script), "quota", "--endpoint", stub.url, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["used"] == 1
