"""altrollup off-chain agents: rollup EVM, L1 bindings, and the node roles."""
