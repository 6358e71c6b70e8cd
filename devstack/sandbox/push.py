"""im_push: validate, de-duplicate by MsgRandom, apply the quota, record the recipients."""

from __future__ import annotations

from devstack.sandbox.errors import JsonObj, ok
from devstack.sandbox.quota import Dedup, PushQuota
from devstack.sandbox.rules import validate_push
from devstack.sandbox.state import SandboxState


def im_push(
    st: SandboxState,
    quota: PushQuota,
    dedup: Dedup,
    body: JsonObj,
    *,
    sdkappid: int,
    admin: str,
    now: float,
) -> JsonObj:
    """Accept one push or raise ApiError; a repeated MsgRandom gets its first TaskId back."""
    request = validate_push(body, attr_names=st.name_index(), senders=st.users | {admin})
    earlier = dedup.lookup(request.msg_random, now)
    if earlier is not None:
        return ok(TaskId=earlier)
    quota.check(now)
    quota.consume(now)
    st.task_seq += 1
    task_id = f"{sdkappid}_{144115212910570000 + st.task_seq}_{int(now)}_{request.msg_random}"
    dedup.remember(request.msg_random, task_id, now)
    st.pushes.append(
        {
            "task_id": task_id,
            "msg_random": request.msg_random,
            "from_account": request.from_account or admin,
            "body": body,
            "recipients": st.recipients(request.condition),
            "at": now,
        }
    )
    return ok(TaskId=task_id)
