"""The rollup EVM: a Cancun-exact interpreter with a fast mode and a trace mode."""
