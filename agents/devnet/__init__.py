"""The one-command devnet: an L1, the settlement contracts, and a requested rollup."""
