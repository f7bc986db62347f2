"""``altrollup rollup end`` (flash-layer end of life) and ``altrollup withdraw`` (L2 -> L1).

Both read the L1 contracts from a deployments file (``--deployments``, default
``$ALTROLLUP_DEPLOYMENTS`` or ``deployments.json``) under the L1's chain id, with the
names ``ExecutionLayerRegistry``, ``RollupSettlement``, ``Rollup:<id>`` and
``WithdrawalPortal:<id>``.

``rollup end`` runs :func:`agents.l1.lifecycle.end_rollup` and prints one progress line
per step; re-running it after an interruption resumes (an Ending rollup is not ended
twice). ``withdraw`` proves one withdrawal against a tier-3 pack and claims it on L1; the
proof comes from a rollup state store (``--state-store``, the LMDB directory of a
producer or verifier) or else from the rollup RPC's ``eth_getProof`` (``--l2-rpc``) at the
pack's last block. The withdrawal is named by ``--nonce`` and either looked up on the
rollup RPC (``--l2-rpc``) or given in full (``--l2-sender``, ``--recipient``, ``--amount``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from agents.cli import AltrollupError

DEFAULT_L1 = "http://127.0.0.1:8545"


def _client(url: str) -> Any:
    from agents.l1.client import L1Client, L1Error

    try:
        return L1Client.connect(url)
    except L1Error as error:
        raise AltrollupError(str(error)) from None


def _account(key: str) -> Any:
    from eth_account import Account

    try:
        return Account.from_key(key)
    except (ValueError, TypeError) as error:
        raise AltrollupError(f"--key is not a valid private key: {error}") from None


def _entries(client: Any, path: Path | None) -> dict[str, Any]:
    from agents.l1.deployments import DeploymentError, chain_deployments

    try:
        return chain_deployments(client.chain_id, path)
    except DeploymentError as error:
        raise AltrollupError(str(error)) from None


def _address(value: str | None, option: str) -> str | None:
    from web3 import Web3

    if value is None:
        return None
    if not Web3.is_address(value):
        raise AltrollupError(f"{option}: {value!r} is not an address")
    return str(Web3.to_checksum_address(value))


_deployments_option = click.option(
    "--deployments",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Deployments file (default: $ALTROLLUP_DEPLOYMENTS or deployments.json).",
)
_key_option = click.option(
    "--key", envvar="ALTROLLUP_KEY", required=True, help="Hex private key (or ALTROLLUP_KEY)."
)


@click.group()
def rollup() -> None:
    """Rollup lifecycle on L1."""


@rollup.command("end")
@click.option("--l1-rpc", envvar="ALTROLLUP_L1_RPC", default=DEFAULT_L1, show_default=True)
@_deployments_option
@click.option("--rollup-id", type=click.IntRange(1), required=True)
@_key_option
@click.option("--poll-interval", type=click.FloatRange(0.05, 60), default=1.0, show_default=True)
@click.option("--timeout", type=click.FloatRange(1), default=3600.0, show_default=True)
def end_command(
    l1_rpc: str,
    deployments: Path | None,
    rollup_id: int,
    key: str,
    poll_interval: float,
    timeout: float,
) -> None:
    """End a flash layer: endRollup, wait for the final pack and tier 3, settle.

    KEY must be the rollup's requester or the registry's governance.
    """
    from agents.l1.client import L1Error
    from agents.l1.deployments import DeploymentError
    from agents.l1.lifecycle import LifecycleContracts, LifecycleError, end_rollup

    client = _client(l1_rpc)
    account = _account(key)
    started = time.monotonic()

    def progress(line: str) -> None:
        click.echo(f"[{time.monotonic() - started:7.2f}s] {line}")

    try:
        contracts = LifecycleContracts.from_deployments(
            client, _entries(client, deployments), rollup_id
        )
        end_rollup(
            contracts,
            rollup_id,
            account,
            progress=progress,
            poll_interval=poll_interval,
            timeout=timeout,
        )
    except (LifecycleError, DeploymentError, L1Error) as error:
        raise AltrollupError(str(error)) from None


@click.command("withdraw")
@click.option("--l1-rpc", envvar="ALTROLLUP_L1_RPC", default=DEFAULT_L1, show_default=True)
@_deployments_option
@click.option("--rollup-id", type=click.IntRange(1), required=True)
@click.option(
    "--state-store",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Prove from this state store (LMDB directory of a producer or verifier).",
)
@click.option("--nonce", type=click.IntRange(0), required=True, help="The withdrawal's nonce.")
@click.option(
    "--l2-rpc", default=None, help="Rollup JSON-RPC: withdrawal lookup, and proofs without a store."
)
@click.option("--l2-sender", default=None, help="Who withdrew on L2 (without --l2-rpc).")
@click.option("--recipient", default=None, help="The L1 recipient (without --l2-rpc).")
@click.option("--amount", type=click.IntRange(1), default=None, help="Wei (without --l2-rpc).")
@click.option("--pack", "pack_id", type=click.IntRange(0), default=None, help="Tier-3 pack.")
@_key_option
def withdraw_command(
    l1_rpc: str,
    deployments: Path | None,
    rollup_id: int,
    state_store: Path | None,
    nonce: int,
    l2_rpc: str | None,
    l2_sender: str | None,
    recipient: str | None,
    amount: int | None,
    pack_id: int | None,
    key: str,
) -> None:
    """Prove an L2 withdrawal against a tier-3 pack and claim it on L1.

    The pack defaults to the last rollup-level final pack. KEY pays the L1 gas; the
    ETH goes to the withdrawal's recipient.
    """
    from web3 import HTTPProvider, Web3

    from agents.evm.store import MerkleStore
    from agents.l1.client import L1Error
    from agents.l1.lifecycle import portal_entry_name, rollup_entry_name
    from agents.l1.rollup import RollupContract, Tier
    from agents.l1.withdrawals import (
        Withdrawal,
        WithdrawalError,
        WithdrawalPortalContract,
        build_withdrawal_proof,
        find_withdrawals,
        withdrawal_proof_from_rpc,
    )

    client = _client(l1_rpc)
    account = _account(key)
    entries = _entries(client, deployments)
    for name in (rollup_entry_name(rollup_id), portal_entry_name(rollup_id)):
        if name not in entries:
            raise AltrollupError(f"the deployments file has no {name}")
    l2 = Web3(HTTPProvider(l2_rpc)) if l2_rpc is not None else None
    if state_store is None and l2 is None:
        raise AltrollupError("give --state-store or --l2-rpc (where the proof comes from)")
    if l2 is not None and not (l2_sender or recipient or amount):
        try:
            found = find_withdrawals(l2, nonce=nonce)
        except (WithdrawalError, OSError, ValueError) as error:
            raise AltrollupError(f"cannot read withdrawals from {l2_rpc}: {error}") from None
        if not found:
            raise AltrollupError(f"no withdrawal with nonce {nonce} on {l2_rpc}")
        withdrawal = found[0].withdrawal
    else:
        sender_address = _address(l2_sender, "--l2-sender")
        recipient_address = _address(recipient, "--recipient")
        if sender_address is None or recipient_address is None or amount is None:
            raise AltrollupError("give --l2-rpc, or all of --l2-sender, --recipient and --amount")
        withdrawal = Withdrawal(nonce, sender_address, recipient_address, amount)
    if state_store is not None and not (state_store / "data.mdb").exists():
        raise AltrollupError(f"no state store at {state_store}")

    rollup_contract = RollupContract.at(client, entries[rollup_entry_name(rollup_id)].address)
    portal = WithdrawalPortalContract.at(client, entries[portal_entry_name(rollup_id)].address)
    try:
        if portal.is_claimed(nonce):
            raise AltrollupError(f"withdrawal {nonce} was already claimed")
        chosen = rollup_contract.last_finalized() if pack_id is None else pack_id
        tier = rollup_contract.tier_of(chosen)
        if tier is not Tier.ROLLUP_FINAL:
            raise AltrollupError(f"pack {chosen} is {tier.name}, not ROLLUP_FINAL")
        root = rollup_contract.state_root_at(chosen)
        if state_store is not None:
            store = MerkleStore(state_store)
            try:
                proof = build_withdrawal_proof(store, root, withdrawal)
            finally:
                store.close()
        else:
            assert l2 is not None
            last_block = rollup_contract.pack(chosen).last_block
            proof = withdrawal_proof_from_rpc(l2, last_block, withdrawal, root)
        receipt = portal.prove_and_finalize(account, chosen, withdrawal, proof)
    except WithdrawalError as error:
        raise AltrollupError(str(error)) from None
    except OSError as error:
        raise AltrollupError(f"cannot reach the rollup RPC {l2_rpc}: {error}") from None
    except L1Error as error:
        raise AltrollupError(str(error)) from None
    click.echo(
        f"withdrawal {nonce}: paid {withdrawal.amount} wei to {withdrawal.l1_recipient} "
        f"(pack {chosen}, L1 tx 0x{bytes(receipt['transactionHash']).hex()}, "
        f"gas {receipt['gasUsed']})"
    )
