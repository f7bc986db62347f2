"""The verifier role: follows the producer's blocks, re-executes them, posts packs to the
L1 Rollup contract, affirms or rejects other verifiers' packs, finalizes, and reads the
L1 tiers and the L1 -> L2 inbox (docs/verifier.md)."""
