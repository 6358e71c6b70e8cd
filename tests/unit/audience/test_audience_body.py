"""Request body decoding: 400 for anything but a UTF-8 JSON object, 413 beyond the limit."""

from __future__ import annotations

import pytest

from push_common.body import decode_json_object
from push_common.errors import BadRequest, PayloadTooLarge


def test_object_is_decoded() -> None:
    assert decode_json_object(b'{"users": {"a": ["vip"]}}', max_bytes=1024) == {
        "users": {"a": ["vip"]}
    }


@pytest.mark.parametrize(
    "raw",
    [b"", b"  ", b"\xff\xfe{}", b"{", b"[1]", b'"x"', b"null", b'{"a": NaN}', b"[" * 5000],
)
def test_anything_but_a_json_object_is_400(raw: bytes) -> None:
    with pytest.raises(BadRequest) as caught:
        decode_json_object(raw, max_bytes=65536)
    assert (caught.value.status, caught.value.code) == (400, "invalid_body")


def test_duplicate_key_is_400_naming_it() -> None:
    with pytest.raises(BadRequest, match='duplicate key "alice"'):
        decode_json_object(b'{"users": {"alice": ["a"], "alice": ["b"]}}', max_bytes=1024)


def test_body_over_the_limit_is_413() -> None:
    with pytest.raises(PayloadTooLarge):
        decode_json_object(b"{" + b" " * 1024 + b"}", max_bytes=1024)


def test_body_at_the_limit_is_fine() -> None:
    assert decode_json_object(b"{" + b" " * 1022 + b"}", max_bytes=1024) == {}
