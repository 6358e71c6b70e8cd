"""Shared package of tim-push-gateway (shipped as the Lambda layer)."""

from push_common.dataclass_code import install as _install_dataclass_code

# Before any dataclass (ours, pydantic's) is created: in the built layer, their methods come
# precompiled instead of being compiled at every cold start (docs/decisions.md §24). Without
# the recorded file (the source tree, tests) this does nothing.
_install_dataclass_code()
