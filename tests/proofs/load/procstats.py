"""Resources held by a process and its descendants, read from /proc (Linux)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Sample:
    """One reading across a process tree, per process; the totals are derived from it."""

    rss_by_pid: dict[int, int] = field(default_factory=dict)  # KB
    role_by_pid: dict[int, str] = field(default_factory=dict)  # role()
    fds_by_pid: dict[int, int] = field(default_factory=dict)
    sockets_by_pid: dict[int, int] = field(default_factory=dict)

    @property
    def processes(self) -> int:
        return len(self.rss_by_pid)

    @property
    def workers(self) -> int:
        return sum(kind == "worker" for kind in self.role_by_pid.values())

    @property
    def rss_kb(self) -> int:
        return sum(self.rss_by_pid.values())

    @property
    def fds(self) -> int:
        return sum(self.fds_by_pid.values())

    @property
    def sockets(self) -> int:
        return sum(self.sockets_by_pid.values())

    def rss_by_role_of(self, pids: set[int]) -> dict[str, int]:
        """RSS summed per role over `pids` only (the processes present in two samples)."""
        out: dict[str, int] = {}
        for pid in pids:
            out[self.role_by_pid[pid]] = out.get(self.role_by_pid[pid], 0) + self.rss_by_pid[pid]
        return out

    def fds_of(self, pids: set[int]) -> int:
        return sum(self.fds_by_pid[pid] for pid in pids)

    def sockets_of(self, pids: set[int]) -> int:
        return sum(self.sockets_by_pid[pid] for pid in pids)

    def line(self) -> str:
        return (
            f"procs={self.processes} workers={self.workers} rss_kb={self.rss_kb} "
            f"fds={self.fds} sockets={self.sockets}"
        )


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in (PROC / str(pid) / "task").glob("*/children"):
        try:
            out.extend(int(c) for c in task.read_text().split())
        except OSError:  # the thread or process ended while we looked
            continue
    return out


def process_tree(pid: int) -> list[int]:
    """`pid` and every live descendant (workers, dynalite, ...)."""
    seen, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current not in seen and (PROC / str(current)).exists():
            seen.append(current)
            todo.extend(_children(current))
    return seen


def _rss_kb(pid: int) -> int:
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0  # a zombie has no VmRSS


def _fd_targets(pid: int) -> list[str]:
    targets = []
    for fd in (PROC / str(pid) / "fd").iterdir():
        try:
            targets.append(os.readlink(fd))
        except OSError:  # closed between listing and reading
            continue
    return targets


def role(pid: int, root: int) -> str:
    """`stack` (adapter, moto, sandbox), `worker` (a function's process) or `other` (dynalite)."""
    if pid == root:
        return "stack"
    cmdline = (PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
    return "worker" if b"--multiprocessing-fork" in cmdline else "other"


def sample(pid: int) -> Sample:
    """RSS, open file descriptors and sockets summed over the tree rooted at `pid`."""
    rss_by_pid: dict[int, int] = {}
    role_by_pid: dict[int, str] = {}
    fds_by_pid: dict[int, int] = {}
    sockets_by_pid: dict[int, int] = {}
    for member in process_tree(pid):
        try:
            targets = _fd_targets(member)
            rss, kind = _rss_kb(member), role(member, pid)
        except OSError:  # exited meanwhile
            continue
        rss_by_pid[member] = rss
        role_by_pid[member] = kind
        fds_by_pid[member] = len(targets)
        sockets_by_pid[member] = sum(t.startswith("socket:") for t in targets)
    return Sample(rss_by_pid, role_by_pid, fds_by_pid, sockets_by_pid)


def growth_by_role(first: Sample, last: Sample) -> dict[str, int]:
    """RSS growth per role over the processes alive in both samples."""
    both = first.rss_by_pid.keys() & last.rss_by_pid.keys()
    before, now = first.rss_by_role_of(both), last.rss_by_role_of(both)
    return {role: now.get(role, 0) - kb for role, kb in before.items()}
