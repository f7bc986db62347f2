"""The rollup's own L1 contracts on a devnet, and its L2 genesis.

After the Beacon layer (:mod:`agents.devnet.beacon`) has an Active rollup, the devnet
needs, per rollup: the L2 genesis (the test accounts funded and the withdrawal
predeploy), the one-step EVM prover, the ``DisputeGame`` + ``Rollup`` pair whose genesis
state root is the L2 genesis root, the ``L1Bridge`` (deposits and forced inclusion), the
``WithdrawalPortal`` (funded by governance, so withdrawals of genesis ETH can be paid)
and the ``RollupSettlement`` that ends the rollup's life. :func:`ensure_rollup_stack`
deploys what is missing and records every address in the deployments file under the
names the CLIs read (``Rollup:<id>``, ``WithdrawalPortal:<id>``, ``L1Bridge:<id>``,
``EvmStepVerifier``, ``RollupSettlement``), so a restarted devnet reuses them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from agents.evm.proof_abi import deploy_evm_step_verifier
from agents.l1.client import L1Client
from agents.l1.deployments import Deployment, load_deployments, record_deployments
from agents.l1.lifecycle import (
    SETTLEMENT_NAME,
    RollupSettlementContract,
    deploy_rollup_settlement,
    portal_entry_name,
    rollup_entry_name,
)
from agents.l1.registries import ETH, RollupInfo, SettlementContracts
from agents.l1.rollup import GameParams, RollupContract, RollupParams, deploy_rollup
from agents.l1.withdrawals import deploy_portal
from agents.l2.predeploys import genesis_alloc
from agents.producer.genesis import DEV_ACCOUNTS, DEV_BALANCE, load_genesis
from agents.producer.node import genesis_block_of
from agents.verifier.l1_inbox import deploy_bridge

ETHER = 10**18
Progress = Callable[[str], None]

STEP_VERIFIER_NAME = "EvmStepVerifier"


def bridge_entry_name(rollup_id: int) -> str:
    """Deployments-file name of rollup ``rollup_id``'s ``L1Bridge``."""
    return f"L1Bridge:{rollup_id}"


@dataclass(frozen=True)
class StackConfig:
    """Devnet parameters of the rollup's settlement (seconds are L1 seconds)."""

    challenge_window: int = 30
    affirmation_quorum: int = 1
    step_depth: int = 25  # 2**25 steps: more than a 30M-gas transaction can take
    challenger_clock: int = 300
    defender_clock: int = 300
    challenger_bond: int = ETHER // 10
    slash_amount: int = ETHER
    portal_funding: int = 1_000 * ETHER
    deposit_confirmation_delay: int = 2
    forced_inclusion_delay: int = 60


@dataclass(frozen=True)
class RollupStack:
    """Addresses of one rollup's contracts, and its L2 genesis."""

    rollup: str
    dispute_game: str
    step_verifier: str
    bridge: str
    portal: str
    settlement: str
    genesis_path: Path
    genesis_root: bytes
    stake_token: str
    min_verifier_stake: int


def write_genesis(path: Path, chain_id: int) -> bytes:
    """Write the L2 genesis (dev accounts + predeploys) once; return its state root."""
    if not path.exists():
        alloc = genesis_alloc({address: DEV_BALANCE for address in DEV_ACCOUNTS})
        document: dict[str, Any] = {"chainId": chain_id, "alloc": alloc}
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        temporary.replace(path)
    genesis = load_genesis(path)
    if genesis.chain_id not in (None, chain_id):
        raise ValueError(f"{path} is for chain {genesis.chain_id}, not {chain_id}")
    return genesis_block_of(genesis).state_root


def verifier_stake_rule(info: RollupInfo) -> tuple[str, int]:
    """(token, minimum): verifiers stake the request's first allowed token, at its minimum."""
    token = info.allowed_tokens[0]
    return token, info.min_stakes[0]


def ensure_rollup_stack(
    client: L1Client,
    governance: LocalAccount,
    contracts: SettlementContracts,
    info: RollupInfo,
    deployments: Path,
    state_dir: Path,
    config: StackConfig,
    progress: Progress,
) -> RollupStack:
    """Deploy (or reuse) the rollup's contracts; see the module docstring."""
    genesis_path = state_dir / "genesis.json"
    genesis_root = write_genesis(genesis_path, info.chain_id)
    recorded = dict(load_deployments(deployments).get(str(client.chain_id), {}))
    names = (
        STEP_VERIFIER_NAME,
        rollup_entry_name(info.rollup_id),
        "DisputeGame:" + str(info.rollup_id),
        bridge_entry_name(info.rollup_id),
        portal_entry_name(info.rollup_id),
        SETTLEMENT_NAME,
    )
    stake_token, min_stake = verifier_stake_rule(info)
    if all(name in recorded for name in names) and all(
        len(client.w3.eth.get_code(Web3.to_checksum_address(recorded[name].address))) > 0
        for name in names
    ):
        rollup = RollupContract.at(client, recorded[names[1]].address)
        if rollup.state_root_at(0) != genesis_root:
            raise ValueError(
                f"the recorded Rollup's genesis root differs from {genesis_path}; "
                "remove the state directory to start afresh"
            )
        progress(f"rollup stack reusing Rollup {rollup.address}")
        return RollupStack(
            rollup=recorded[names[1]].address,
            dispute_game=recorded[names[2]].address,
            step_verifier=recorded[names[0]].address,
            bridge=recorded[names[3]].address,
            portal=recorded[names[4]].address,
            settlement=recorded[names[5]].address,
            genesis_path=genesis_path,
            genesis_root=genesis_root,
            stake_token=stake_token,
            min_verifier_stake=min_stake,
        )
    block = client.w3.eth.block_number
    verifier = deploy_evm_step_verifier(client, governance)
    deployed = deploy_rollup(
        client,
        governance,
        execution_layer_registry=contracts.execution_layer_registry.address,
        rollup_id=info.rollup_id,
        sequencer_registry=contracts.sequencer_registry.address,
        params=RollupParams(
            genesis_state_root=genesis_root,
            challenge_window=config.challenge_window,
            affirmation_quorum=config.affirmation_quorum,
            min_verifier_stake=min_stake,
            stake_token=stake_token,
        ),
        game=GameParams(
            step_verifier=verifier.address,
            trace_binding=verifier.address,
            step_depth=config.step_depth,
            challenger_clock=config.challenger_clock,
            defender_clock=config.defender_clock,
            challenger_bond=config.challenger_bond,
            slash_token=ETH if stake_token == ETH else stake_token,
            slash_amount=config.slash_amount
            if stake_token == ETH
            else min(config.slash_amount, min_stake),
        ),
        registry_owner=governance,
    )
    progress(f"rollup stack Rollup {deployed.rollup.address}, DisputeGame {deployed.game.address}")
    inbox = deploy_bridge(
        client,
        governance,
        l2_chain_id=info.chain_id,
        deposit_confirmation_delay=config.deposit_confirmation_delay,
        forced_inclusion_delay=config.forced_inclusion_delay,
    )
    portal = deploy_portal(client, governance, deployed.rollup.address)
    client.transact(portal.contract.functions.fund(), governance, value=config.portal_funding)
    settlement = (
        RollupSettlementContract.at(client, recorded[SETTLEMENT_NAME].address)
        if SETTLEMENT_NAME in recorded
        else deploy_rollup_settlement(client, governance, contracts.execution_layer_registry)
    )
    settlement.bind_rollup(governance, info.rollup_id, deployed.rollup.address)
    progress(
        f"rollup stack L1Bridge {inbox.address}, WithdrawalPortal {portal.address} "
        f"(funded {config.portal_funding // ETHER} ETH), RollupSettlement {settlement.address}"
    )
    entries = {
        STEP_VERIFIER_NAME: verifier.address,
        names[1]: deployed.rollup.address,
        names[2]: deployed.game.address,
        names[3]: inbox.address,
        names[4]: portal.address,
        names[5]: settlement.address,
    }
    for name, address in entries.items():
        recorded[name] = Deployment(name, str(address), block)
    record_deployments(client.chain_id, recorded, deployments)
    return RollupStack(
        rollup=str(deployed.rollup.address),
        dispute_game=str(deployed.game.address),
        step_verifier=str(verifier.address),
        bridge=str(inbox.address),
        portal=str(portal.address),
        settlement=str(settlement.address),
        genesis_path=genesis_path,
        genesis_root=genesis_root,
        stake_token=stake_token,
        min_verifier_stake=min_stake,
    )
