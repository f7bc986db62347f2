"""L1 (settlement-layer) helpers: VRF prover/verifier and contract clients."""
