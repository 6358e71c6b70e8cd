"""The load proof's growth accounting: a worker spawned mid-run is scale-out, not growth."""

from __future__ import annotations

from tests.proofs.load.procstats import Sample, growth_by_role


def reading(rss: dict[int, int], roles: dict[int, str]) -> Sample:
    return Sample(rss, {pid: roles[pid] for pid in rss}, dict.fromkeys(rss, 10),
                  dict.fromkeys(rss, 0))  # fmt: skip


ROLES = {1: "stack", 2: "worker", 3: "worker", 4: "other", 5: "worker"}


def test_a_worker_spawned_during_the_run_is_not_counted_as_growth() -> None:
    first = reading({1: 1000, 2: 50_000, 3: 50_000, 4: 9000}, ROLES)
    last = reading({1: 1100, 2: 50_200, 3: 50_100, 4: 9050, 5: 57_000}, ROLES)
    assert growth_by_role(first, last) == {"stack": 100, "worker": 300, "other": 50}


def test_growth_of_a_process_present_in_both_samples_is_counted() -> None:
    first = reading({1: 1000, 2: 50_000}, ROLES)
    last = reading({1: 1000, 2: 58_000}, ROLES)
    assert growth_by_role(first, last)["worker"] == 8000
