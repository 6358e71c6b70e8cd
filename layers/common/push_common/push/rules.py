"""Push-only upstream limits (docs/upstream.md §10) and the free-text check.

The rules both features share (tags, attribute values, UTF-8 lengths) are in
`push_common.upstream_rules`.
"""

from __future__ import annotations

from push_common.upstream_rules import utf8_length

MAX_LIFETIME_SECONDS = 604_800
MAX_WIRE_BODY_BYTES = 10_240
MAX_DESC_PLUS_EXT_BYTES = 3_072
UINT32_MAX = 4_294_967_295
MAX_TEST_ACCOUNTS = 500  # timpush/batch: To_Account 1-500 (90018)
MAX_DATA_ID_BYTES = 64
# timpush/batch: 10/s on the free edition, 30-40/s on paid ones (docs/upstream.md §1.5); test
# sends are rare and manual, so the gateway keeps to the lowest documented rate.
BATCH_INTERVAL_MS = 100
UPSTREAM_INTERVAL_MS = 1_000  # im_push: consecutive pushes must be more than 1 s apart


def check_text(value: str) -> str:
    """Free text sent upstream must be encodable: JSON would otherwise carry a lone surrogate."""
    utf8_length(value)
    return value
