"""push_common.snapstart: hooks registered only where Lambda's runtime module exists; priming
does no I/O; a restore renews connection pools, forgets clock-bearing caches and reseeds random.

The runtime module `snapshot_restore_py` is simulated by a fake in sys.modules.
"""

from __future__ import annotations

import random
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from push_common import caches, clients, snapstart
from push_common.push import deps, event_api
from push_common.tim_client import get_tim_client
from push_common.usersig import get_usersig_cache


class FakeRuntime(types.ModuleType):
    """What `snapshot_restore_py` offers: two registration functions."""

    def __init__(self) -> None:
        super().__init__("snapshot_restore_py")
        self.before: list[Callable[[], Any]] = []
        self.after: list[Callable[[], Any]] = []

    def register_before_snapshot(self, func: Callable[[], Any]) -> None:
        self.before.append(func)

    def register_after_restore(self, func: Callable[[], Any]) -> None:
        self.after.append(func)


@pytest.fixture(autouse=True)
def _fresh_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(snapstart, "_primers", [])
    monkeypatch.setattr(snapstart, "_registered_with", None)
    yield


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> FakeRuntime:
    fake = FakeRuntime()
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake)
    return fake


def test_without_the_runtime_module_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import raises ImportError
    calls: list[str] = []
    assert snapstart.install(lambda: calls.append("primed")) is False
    assert calls == []  # nothing runs at import
    snapstart.before_snapshot()  # still callable by hand (the bench's fork simulation)
    assert calls == ["primed"]


def test_with_the_runtime_module_both_hooks_are_registered_once(runtime: FakeRuntime) -> None:
    first, second = (lambda: None), (lambda: None)
    assert snapstart.install(first) is True
    assert snapstart.install(second, first) is True
    assert runtime.before == [snapstart.before_snapshot]
    assert runtime.after == [snapstart.after_restore]
    assert snapstart._primers == [first, second]


def test_before_snapshot_runs_the_primers_in_order(runtime: FakeRuntime) -> None:
    calls: list[int] = []
    snapstart.install(lambda: calls.append(1), lambda: calls.append(2))
    for hook in runtime.before:
        hook()
    assert calls == [1, 2]


def test_the_push_primers_build_clients_without_reading_the_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No I/O before the snapshot: sockets are off here, and the secret is never asked for."""

    def no_secret(*_: Any, **__: Any) -> Any:
        raise AssertionError("the secret must not be read before the snapshot")

    monkeypatch.setattr("push_common.credentials._fetch", no_secret)
    snapstart.install(event_api.prime)
    snapstart.before_snapshot()
    for built in (clients.dynamodb, clients.secretsmanager, clients.eventbridge, get_tim_client):
        assert built.cache_info().currsize == 1
    assert deps.default_deps.cache_info().currsize == 1
    assert get_usersig_cache.cache_info().currsize == 1
    assert get_usersig_cache()._entries == {}  # no UserSig minted


def test_after_restore_closes_pools_but_keeps_the_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    ddb = clients.dynamodb()
    tim = get_tim_client()
    closed: list[str] = []
    session: Any = ddb._endpoint.http_session  # type: ignore[attr-defined]
    monkeypatch.setattr(session, "close", lambda: closed.append("dynamodb"))
    monkeypatch.setattr(tim._http, "close_connections", lambda: closed.append("tim"))
    snapstart.after_restore()
    assert sorted(closed) == ["dynamodb", "tim"]
    assert clients.dynamodb() is ddb and get_tim_client() is tim


def test_after_restore_really_empties_the_pools() -> None:
    tim = get_tim_client()
    pool: Any = tim._http._pool  # type: ignore[attr-defined]
    pool.connection_from_url("http://127.0.0.1:9/")  # a pool exists (no connection is made)
    assert len(pool.pools) == 1
    session: Any = clients.secretsmanager()._endpoint.http_session  # type: ignore[attr-defined]
    session._manager.connection_from_url("https://127.0.0.1:9/")
    snapstart.after_restore()
    assert len(pool.pools) == 0
    assert len(session._manager.pools) == 0


def test_after_restore_forgets_clock_bearing_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    cleared: list[str] = []
    monkeypatch.setattr(caches, "_timed", [lambda: cleared.append("timed")])
    snapstart.after_restore()
    assert cleared == ["timed"]


def test_the_cached_secret_is_among_the_clock_bearing_caches() -> None:
    from push_common import credentials

    creds = credentials.AdminCredentials(sdkappid=1, identifier="a", key="k")
    credentials._last = credentials._Read("s", creds, 0.0)
    caches.clear_timed()
    assert credentials._last is None


def test_after_restore_drops_minted_usersigs_but_keeps_the_cache_object() -> None:
    sigs = get_usersig_cache()
    sigs._entries = {(1, "admin", "fp"): object()}  # type: ignore[dict-item]
    snapstart.after_restore()
    assert get_usersig_cache() is sigs
    assert sigs._entries == {}


def test_after_restore_reseeds_random() -> None:
    random.seed(42)
    snapshot_state = random.getstate()
    snapstart.after_restore()
    first = random.random()
    random.setstate(snapshot_state)
    snapstart.after_restore()
    assert random.random() != first  # two restores of one snapshot draw different values


def test_handlers_install_the_hooks(runtime: FakeRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    for name in ("functions.push_api.handler", "functions.push_event.handler"):
        if name in sys.modules:  # a fresh import; the module other tests hold comes back after
            monkeypatch.setitem(sys.modules, name, sys.modules[name])
            del sys.modules[name]
        importlib.import_module(name)
    assert runtime.before == [snapstart.before_snapshot]
    assert deps.prime in snapstart._primers and event_api.prime in snapstart._primers


def test_module_primers_load_what_routes_import_lazily() -> None:
    import importlib.util

    from functions.push_api import handler

    names = [f"push_common.push.{m}" for m in handler.ROUTE_MODULES]
    assert all(importlib.util.find_spec(name) is not None for name in names)
    snapstart.modules(*names)()
    assert all(name in sys.modules for name in names)
