"""The aggregator role: Ethereum JSON-RPC intake, trusted timestamps, per-aggregator
sequence numbers, durable log, load-balanced forwarding to block producers.

Run it with ``python -m agents.aggregator --id A --db agg.sqlite --chain-id N
--producer http://127.0.0.1:PORT`` or call :func:`agents.aggregator.service.main`.
"""
