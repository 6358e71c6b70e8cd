"""Audience management: user tags and attributes over the nine upstream APIs (design §3.3).

Modules: `caller` (the upstream client protocol), `body` (request body decoding), `models` and
`validation` (request checks before any upstream call), `chunking` (≤ 100 accounts per call,
paced), `service` (user tags and attributes), `names` (the app's attribute names, admin).
"""
