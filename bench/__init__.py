"""`make bench`: warm latency, cold start, package size and calls per push, as ratios
(docs/architecture.md §10).

Every timing is a ratio against a bare baseline measured in the same run, because absolute times
on shared 2-core machines are noise. Entry point: `python -m bench.run`.
"""
