"""Fixtures of the push handler tests: moto for AWS (`aws`) and a stub for Tencent (`upstream`)."""

from __future__ import annotations

from tests.support.handler_stubs import aws, upstream

__all__ = ["aws", "upstream"]
