"""The L1 layer: anvil control, compiled artifacts, client, bindings, deployments, VRF."""
