"""Which call a push becomes per API family, and the 422s of fields a family cannot carry
(docs/architecture.md §13, docs/decisions.md §16); the report's normalisation."""

from __future__ import annotations

from typing import Any

import pytest

from push_common.errors import ValidationFailed
from push_common.push.families import check_fields, upstream_call
from push_common.push.report import normalise_report
from push_common.push.request import PushRequest
from push_common.push.service import PushContext
from push_common.push.submission import submit_push
from push_common.upstream_api import AUDIENCE_TWINS, route
from tests.support.push_fakes import harness

RANDOM = 3182094412
TEXT = {"text": "Sale"}
BODY = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "Sale"}}]
NOTE = {"title": "T", "body": "B"}


def req(**data: Any) -> PushRequest:
    return PushRequest.model_validate({"audience": {"all": True}, "message": TEXT, **data})


def call(r: PushRequest, api: Any) -> Any:
    return upstream_call(r, api=api, msg_random=RANDOM, push_id="p-1", admin="administrator")


def problems(r: PushRequest, api: Any) -> list[tuple[str, int | None]]:
    with pytest.raises(ValidationFailed) as caught:
        check_fields(r, api)
    assert api in caught.value.detail or "im_push" in caught.value.detail
    return [(p.field, p.upstream_code) for p in caught.value.errors]


def test_all_member_push_is_im_push_unchanged() -> None:
    c = call(req(offline_ttl_seconds=60), "all_member_push")
    assert (c.service, c.command, c.kind, c.takes_quota) == (
        "all_member_push",
        "im_push",
        "broadcast",
        True,
    )
    assert c.body == {"MsgRandom": RANDOM, "MsgLifeTime": 60, "MsgBody": BODY}


def test_timpush_push_has_online_only_flag_data_id_and_no_lifetime() -> None:
    c = call(req(audience={"tags": {"any": ["vip"]}}, notification=NOTE), "timpush")
    assert (c.service, c.command, c.kind) == ("timpush", "push", "broadcast")
    assert c.body == {
        "MsgRandom": RANDOM,
        "OnlineOnlyFlag": 1,
        "Condition": {"TagsOr": ["vip"]},
        "MsgBody": BODY,
        "OfflinePushInfo": {"PushFlag": 0, "Title": "T", "Desc": "B"},
        "DataId": "p-1",
    }
    assert call(req(keep_in_history=True), "timpush").body["OnlineOnlyFlag"] == 0
    assert call(req(offline_ttl_seconds=0, sender="ops"), "timpush").body["From_Account"] == "ops"


def test_timpush_test_send_is_a_batch_of_the_notification() -> None:
    r = PushRequest.model_validate({"audience": {"accounts": ["a", "b"]}, "notification": NOTE})
    c = call(r, "timpush")
    assert (c.command, c.kind, c.takes_quota) == ("batch", "test", False)
    assert c.body == {
        "From_Account": "administrator",
        "To_Account": ["a", "b"],
        "MsgRandom": RANDOM,
        "OfflinePushInfo": {"PushFlag": 0, "Title": "T", "Desc": "B"},
        "DataId": "p-1",
    }


def test_legacy_refuses_timpush_only_fields_naming_them() -> None:
    assert problems(req(keep_in_history=False), "all_member_push") == [("keep_in_history", None)]
    accounts = PushRequest.model_validate({"audience": {"accounts": ["a"]}, "notification": NOTE})
    assert problems(accounts, "all_member_push") == [("audience.accounts", None)]
    no_message = PushRequest.model_validate({"audience": {"all": True}})
    assert problems(no_message, "all_member_push") == [("message", 90007)]


def test_timpush_refuses_a_lifetime_and_a_missing_message() -> None:
    assert problems(req(offline_ttl_seconds=60), "timpush") == [("offline_ttl_seconds", 90026)]
    no_message = PushRequest.model_validate({"audience": {"all": True}})
    assert problems(no_message, "timpush") == [("message", 90007)]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"message": TEXT, "notification": NOTE}, [("message", None)]),
        ({}, [("notification", 90043)]),
        ({"notification": {"title": "T"}}, [("notification.body", 90043)]),
        ({"notification": {"body": "B"}}, [("notification.title", 90043)]),
        ({"notification": {**NOTE, "enabled": False}}, [("notification.enabled", 90043)]),
        ({"notification": NOTE, "keep_in_history": True}, [("keep_in_history", None)]),
        ({"notification": NOTE, "offline_ttl_seconds": 5}, [("offline_ttl_seconds", 90026)]),
    ],
    ids=["message", "no-notification", "no-body", "no-title", "disabled", "history", "ttl"],
)
def test_test_send_field_rules(extra: dict[str, Any], expected: list[Any]) -> None:
    r = PushRequest.model_validate({"audience": {"accounts": ["a"]}, **extra})
    assert problems(r, "timpush") == expected


def test_accounts_are_1_to_500_unique_user_ids() -> None:
    from pydantic import ValidationError

    for accounts in ([], ["a"] * 2, [f"u{i}" for i in range(501)], [""]):
        with pytest.raises(ValidationError):
            PushRequest.model_validate({"audience": {"accounts": accounts}, "notification": NOTE})
    with pytest.raises(ValidationError):
        PushRequest.model_validate({"audience": {"all": True, "accounts": ["a"]}, "message": TEXT})


def test_test_send_takes_no_quota_and_records_its_kind() -> None:
    h = harness(TIM_PUSH_API="timpush")
    r = PushRequest.model_validate({"audience": {"accounts": ["a"]}, "notification": NOTE})
    answer = submit_push(r, PushContext(caller="c", idempotency_key="k"), h.deps())
    assert answer.status == 202 and "quota" not in answer.body
    assert h.quota.calls == [] and h.quota_opened == 0
    [(command, body, kwargs)] = h.client.calls
    assert (command, kwargs["service"], kwargs["at_most_once"]) == ("batch", "timpush", True)
    push = h.records.records[answer.push_id]["push"]
    assert (push.kind, push.upstream_api, body["DataId"]) == ("test", "timpush", answer.push_id)


def test_a_dry_run_test_send_shows_the_batch_without_quota() -> None:
    from push_common.push.service import dry_run

    h = harness(TIM_PUSH_API="timpush")
    r = PushRequest.model_validate(
        {"audience": {"accounts": ["a"]}, "notification": NOTE, "dry_run": True}
    )
    out = dry_run(r, PushContext(caller="c"), h.deps())
    assert set(out) == {"dry_run", "upstream_request"}
    assert out["upstream_request"]["To_Account"] == ["a"]


def test_audience_commands_have_timpush_twins_and_pushes_pass_through() -> None:
    assert route("timpush", "all_member_push", "im_remove_all_tags") == (
        "timpush",
        "clear_all_tags",
    )
    assert route("all_member_push", "all_member_push", "im_add_tag") == (
        "all_member_push",
        "im_add_tag",
    )
    assert route("timpush", "timpush", "revoke") == ("timpush", "revoke")
    assert len(AUDIENCE_TWINS) == 9


def test_settings_validate_the_switch() -> None:
    import os

    from pydantic import ValidationError

    from push_common.settings import Settings

    assert Settings.from_env(os.environ).tim_push_api == "all_member_push"
    with pytest.raises(ValidationError):
        Settings.from_env({**os.environ, "TIM_PUSH_API": "im_push"})


# --- report normalisation ---------------------------------------------------------------------


def test_report_picks_the_task_and_passes_platform_integers_through() -> None:
    answer = {
        "ErrorInfo": "sucess",
        "Results": [
            {"TaskID": "other", "TotalCount": 9},
            {
                "TaskID": "t1",
                "TotalCount": 10,
                "SentCount": 8,
                "DeliveredCount": 7,
                "ClickCount": 2,
                "PlatformStatistics": [
                    {"EventType": 2, "PushPlatform": 5, "TotalCount": 4, "SentCount": "x"},
                    "junk",
                ],
            },
        ],
    }
    assert normalise_report("p", "t1", answer, as_of="2026-11-29T10:00:00.000Z") == {
        "push_id": "p",
        "task_id": "t1",
        "total": 10,
        "sent": 8,
        "delivered": 7,
        "clicked": 2,
        "platforms": [
            {"platform": 5, "event_type": 2, "total": 4, "sent": 0, "delivered": 0, "clicked": 0}
        ],
        "as_of": "2026-11-29T10:00:00.000Z",
    }


@pytest.mark.parametrize(
    "answer",
    [{}, {"Results": []}, {"Results": "x"}, {"Results": [{"TaskID": "other"}]}],
    ids=["none", "empty", "not-a-list", "other-task"],
)
def test_report_without_the_task_is_none(answer: dict[str, Any]) -> None:
    assert normalise_report("p", "t1", answer, as_of="now") is None


def test_a_test_send_refused_by_the_batch_gate_leaves_no_record() -> None:
    from push_common.errors import RateLimited

    h = harness(TIM_PUSH_API="timpush")
    deps = h.deps()

    class ClosedGate:
        def wait_pass(self, **kwargs: Any) -> None:
            raise RateLimited("busy", code=kwargs["code"], retry_after=1)

    deps.gate = lambda *_: ClosedGate()  # type: ignore[assignment]
    r = PushRequest.model_validate({"audience": {"accounts": ["a"]}, "notification": NOTE})
    with pytest.raises(RateLimited) as caught:
        submit_push(r, PushContext(caller="c", idempotency_key="k"), deps)
    assert (caught.value.status, caught.value.code) == (429, "test_send_rate_limited")
    assert h.records.records == {} and h.client.calls == []
