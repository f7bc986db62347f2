"""The L2 side of the rollup that is fixed at genesis: predeploy contracts and their allocation."""
