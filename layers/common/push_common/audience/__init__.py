"""Audience management: user tags and attributes over the nine upstream APIs
(docs/architecture.md §3.3).

Modules: `models` (request bodies, per-item rules), `validation` (body → model, the audience's
upstream codes), `rules` (checks spanning items, before any upstream call), `chunking` (≤ 100
accounts per call, paced), `service` (user tags and attributes), `names` (the app's attribute
names, admin). The upstream client protocol is `push_common.tim_caller`.
"""
