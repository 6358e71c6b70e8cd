"""Upstream sandbox: a loopback stand-in for Tencent IM's `v4/all_member_push/*` REST API."""

from devstack.sandbox.server import UpstreamSandbox

__all__ = ["UpstreamSandbox"]
