"""GRANDPA building blocks: wire formats, the block tree, and vote tallies."""
