"""Workload generator for a rollup's (or any node's) Ethereum JSON-RPC.

``altrollup load`` deploys one of the flash-layer workload contracts
(``contracts/workloads/``: an NFT mint event, event ticketing, a rock-paper-scissors
game) or a plain ERC-20, funds sender accounts from one funded key, signs every
transaction locally ahead of time, sends them at an offered rate with
``eth_sendRawTransaction`` (in JSON-RPC batches), follows the blocks for their
receipts, and reports achieved throughput and latency from submission to receipt.

* :mod:`agents.load.signing` — fast local EIP-1559 signing (coincurve).
* :mod:`agents.load.chain` — the few JSON-RPC calls the generator needs.
* :mod:`agents.load.scenarios` — what each scenario deploys and sends.
* :mod:`agents.load.runner` — funding, pre-signing, pacing, receipt tracking.
* :mod:`agents.load.report` — latency percentiles and the printed summary.
* :mod:`agents.load.progress` — a progress bar (rich if installed, else one line).
"""
