"""Helpers for tests and scripts on a local L1: an Active rollup with staked verifiers.

:func:`bootstrap_active_rollup` deploys the settlement contracts, registers and stakes
verifiers in ETH, registers a beacon validator with a fresh VRF key, requests a rollup
(seed 003's request format) and selects its sequencers on-chain, so a test can deploy a
``Rollup`` + ``DisputeGame`` for it right away. It is what the Rollup, challenger,
prover and verifier tests share; users of the stack may reuse it in their own tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount

from agents.l1 import vrf
from agents.l1.client import L1Client
from agents.l1.registries import ETH, RollupStatus, SettlementContracts, deploy_settlement
from agents.l1.rollup_request import parse_request

ETHER = 10**18

#: A minimal seed-003 request: an optimistic EVM rollup secured by ETH stake.
DEFAULT_REQUEST: dict[str, Any] = {
    "execution_layer_req": {
        "settlement_layer": "ethereum",
        "da_layer": "ethereum-blobs",
        "vm": "evm",
        "type": "optimistic",
        "purpose": "general-purpose",
        "kind": "persistent",
        "nb_sequencers": {"min": 1, "max": 2},
        "allowed_tokens": [{"sym": "ETH"}],
        "min_stake_per_seq": [{"sym": "ETH", "val": "10"}],
    }
}


@dataclass(frozen=True)
class ActiveRollup:
    """The settlement contracts and the Active rollup :func:`bootstrap_active_rollup` made."""

    settlement: SettlementContracts
    rollup_id: int
    chain_id: int


def bootstrap_active_rollup(
    client: L1Client,
    owner: LocalAccount,
    verifiers: list[LocalAccount],
    validator: LocalAccount,
    *,
    endpoint_port_base: int,
    stake: int = 20 * ETHER,
    vrf_seed: bytes = b"altrollup test validator",
    request: dict[str, Any] | None = None,
) -> ActiveRollup:
    """Deploy the registries, stake ``verifiers`` and bring one requested rollup to Active.

    Each verifier registers with endpoint ``http://127.0.0.1:<endpoint_port_base + i>``
    and its public key as signing key, and stakes ``stake`` wei of ETH.
    """
    settlement = deploy_settlement(client, owner)
    registry = settlement.sequencer_registry
    for index, verifier in enumerate(verifiers):
        signing_key = verifier._key_obj.public_key.to_compressed_bytes()
        registry.register(verifier, f"http://127.0.0.1:{endpoint_port_base + index}", signing_key)
        registry.stake(verifier, ETH, stake)
    secret, public = vrf.keygen(vrf_seed)
    elr = settlement.execution_layer_registry
    elr.register_validator(owner, validator.address, public)
    parsed = parse_request(request if request is not None else DEFAULT_REQUEST)
    rollup_id, chain_id = elr.request(owner, parsed, settlement.tokens)
    elr.select(validator, secret, rollup_id)
    status = elr.info(rollup_id).status
    if status is not RollupStatus.ACTIVE:
        raise RuntimeError(f"rollup {rollup_id} is {status.name} after selection, not ACTIVE")
    return ActiveRollup(settlement=settlement, rollup_id=rollup_id, chain_id=chain_id)
