"""Bring the Beacon layer of a devnet up: contracts, sequencers, the rollup request.

Every step is idempotent against the state directory, so a restarted devnet resumes:
contracts recorded in ``<state>/deployments.json`` whose code is still on the L1 are
reused, operators already registered are not registered again, and a rollup already
requested and selected is reported rather than requested anew.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from agents.l1 import vrf
from agents.l1.client import L1Client
from agents.l1.deployments import load_deployments, record_deployments
from agents.l1.registries import (
    ETH,
    ETH_SYMBOL,
    RollupInfo,
    RollupStatus,
    SettlementContracts,
    deploy_settlement,
    mint,
)
from agents.l1.rollup_request import RollupRequest

ETHER = 10**18
Progress = Callable[[str], None]


@dataclass(frozen=True)
class DevnetAccounts:
    """Roles the devnet gives the funded test accounts."""

    governance: LocalAccount
    operators: tuple[LocalAccount, ...]
    validator: LocalAccount

    @classmethod
    def from_keys(cls, keys: list[str], sequencer_count: int) -> DevnetAccounts:
        if not 1 <= sequencer_count <= len(keys) - 2:
            raise ValueError(f"--sequencers must be between 1 and {len(keys) - 2}")
        accounts = [Account.from_key(key) for key in keys]
        return cls(accounts[0], tuple(accounts[1 : 1 + sequencer_count]), accounts[-1])


def operator_stake(index: int, token_position: int, minimum: int) -> int:
    """Stake operator ``index`` puts in the request's ``token_position``-th token.

    A spread around the request's minimum: operator 0 meets every minimum three times
    over; the others stake in one token each (alternating) at 0.5x-2.5x the minimum, so
    one in eight stays below it and selection has an ineligible operator to skip.
    """
    factors = (3.0, 1.5, 0.5, 2.0, 1.2, 0.8, 2.5, 1.0)
    if index > 0 and (index + token_position) % 2 == 1:
        return 0
    return int(minimum * factors[index % len(factors)])


def vrf_secret(state_dir: Path) -> int:
    """The devnet validator's VRF secret, created once and kept in the state directory."""
    path = state_dir / "validator-vrf.key"
    if path.exists():
        return int(path.read_text().strip(), 16)
    secret, _ = vrf.keygen(secrets.token_bytes(32))
    path.write_text(f"{secret:064x}\n")
    path.chmod(0o600)
    return secret


def ensure_contracts(
    client: L1Client,
    accounts: DevnetAccounts,
    request: RollupRequest,
    deployments: Path,
    progress: Progress,
) -> SettlementContracts:
    """Reuse recorded contracts if their code is on the L1, else deploy and record them."""
    recorded = load_deployments(deployments).get(str(client.chain_id))
    if recorded and all(
        len(client.w3.eth.get_code(Web3.to_checksum_address(entry.address))) > 0
        for entry in recorded.values()
    ):
        contracts = SettlementContracts.from_deployments(client, recorded)
        missing = [s for s in request.allowed_tokens if s not in contracts.tokens]
        if not missing:
            progress(f"contracts    reusing {deployments}")
            return contracts
        progress(f"contracts    request needs new tokens {', '.join(missing)}: redeploying")
    symbols = tuple(s for s in request.allowed_tokens if s != ETH_SYMBOL)
    contracts = deploy_settlement(client, accounts.governance, symbols)
    record_deployments(
        client.chain_id, contracts.deployments(client.w3.eth.block_number), deployments
    )
    progress(
        f"contracts    SequencerRegistry {contracts.sequencer_registry.address}, "
        f"ExecutionLayerRegistry {contracts.execution_layer_registry.address}"
    )
    return contracts


def ensure_sequencers(
    client: L1Client,
    contracts: SettlementContracts,
    accounts: DevnetAccounts,
    request: RollupRequest,
    progress: Progress,
) -> None:
    """Register and stake the devnet operators (skipping ones already registered)."""
    registry = contracts.sequencer_registry
    registered = set(registry.operators())
    for index, operator in enumerate(accounts.operators):
        if operator.address in registered:
            continue
        public = operator._key_obj.public_key.to_compressed_bytes()
        registry.register(operator, f"http://127.0.0.1:{9100 + index}", public)
        staked = []
        for position, symbol in enumerate(request.allowed_tokens):
            amount = operator_stake(index, position, request.min_stake_per_seq[symbol])
            if amount == 0:
                continue
            token = contracts.tokens[symbol]
            if token != ETH:
                mint(client, accounts.governance, token, operator.address, amount)
            registry.stake(operator, token, amount)
            staked.append(f"{amount / ETHER:g} {symbol}")
        progress(f"sequencer    {operator.address} registered, staked {', '.join(staked)}")


def ensure_rollup(
    contracts: SettlementContracts,
    accounts: DevnetAccounts,
    request: RollupRequest,
    secret: int,
    progress: Progress,
) -> RollupInfo:
    """Request the rollup and select its sequencers, unless the devnet already has one."""
    elr = contracts.execution_layer_registry
    client = elr.client
    if not client.call(elr.contract.functions.isValidator(accounts.validator.address)):
        elr.register_validator(
            accounts.governance, accounts.validator.address, vrf.public_key(secret)
        )
        progress(f"validator    {accounts.validator.address} registered with its VRF key")
    count = int(client.call(elr.contract.functions.rollupCount()))
    for rollup_id in range(count, 0, -1):
        info = elr.info(rollup_id)
        if info.requester == accounts.governance.address and info.status in (
            RollupStatus.REQUESTED,
            RollupStatus.ACTIVE,
        ):
            break
    else:
        rollup_id, chain_id = elr.request(accounts.governance, request, contracts.tokens)
        progress(f"rollup       {rollup_id} requested: L2 chain id {chain_id}")
        info = elr.info(rollup_id)
    if info.status is RollupStatus.REQUESTED:
        elr.select(accounts.validator, secret, info.rollup_id)
        info = elr.info(info.rollup_id)
        progress(f"selection    {len(info.sequencers)} sequencers chosen by stake and ECVRF")
    return info
