"""The live devnet dashboard: one HTML page, JSON endpoints, polling from the browser.

* :mod:`agents.dashboard.sources` — what the page shows, read from the rollup's
  JSON-RPC (blocks, transactions, finality tiers) and from L1 (packs, disputes,
  sequencer set and stakes), as plain JSON-ready dicts.
* :mod:`agents.dashboard.server` — the HTTP server: ``/`` and ``/static/*`` (the page,
  no build step, nothing from a CDN), ``/api/*`` (JSON), ``/metrics`` (Prometheus).

``altrollup dashboard --rpc URL --l1-rpc URL --deployments FILE --port P`` runs it
(see ``docs/dashboard.md``).
"""
