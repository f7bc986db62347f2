"""The end of a flash layer's life: ``endRollup`` -> final pack -> tier 3 -> settlement.

:func:`end_rollup` drives the whole flow that ``altrollup rollup end`` runs:

1. ``ExecutionLayerRegistry.endRollup`` (skipped when the rollup is already Ending, so
   the command can be re-run after an interruption); the registry records the L1 time;
2. the rollup's ``Rollup`` contract is bound in ``RollupSettlement`` if it is not yet;
3. wait for the **final pack**: a pack posted at or after the end time. The verifiers
   post it (they see the Ending status); the ``final_pack`` callback is how the caller
   plugs them in: it is polled with the end time and returns the final pack's id once
   there is one (default: :func:`head_posted_since`, the Rollup's head if it was posted
   after the end);
4. wait for the final pack to be tier 3, calling ``Rollup.finalize`` as soon as it is
   allowed (anyone may); a final pack that loses a dispute sends the flow back to 3;
5. ``RollupSettlement.settle``: the rollup becomes Settled, its final state root is
   recorded, and withdrawals keep being proven against it.

Each step reports one line through ``progress``; failures raise :class:`LifecycleError`
(or :class:`~agents.l1.client.TransactionReverted` with the contract's named error).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from agents.l1.artifacts import load_artifact
from agents.l1.client import L1Client, TransactionReverted, _revert_data
from agents.l1.deployments import Deployment, DeploymentError
from agents.l1.errors import decode_revert
from agents.l1.registries import ExecutionLayerRegistry, RollupStatus
from agents.l1.rollup import RollupContract, Tier
from agents.l1.withdrawals import deploy_portal

#: Deployments-file names of the lifecycle contracts (``agents/l1/deployments.py``).
SETTLEMENT_NAME = "RollupSettlement"


def rollup_entry_name(rollup_id: int) -> str:
    """Deployments-file name of rollup ``rollup_id``'s ``Rollup`` contract."""
    return f"Rollup:{rollup_id}"


def portal_entry_name(rollup_id: int) -> str:
    """Deployments-file name of rollup ``rollup_id``'s ``WithdrawalPortal``."""
    return f"WithdrawalPortal:{rollup_id}"


class LifecycleError(RuntimeError):
    """The end-of-life flow cannot go on (the message says why)."""


Progress = Callable[[str], None]
#: Polled with the end time (L1 seconds); returns the final pack's id once posted.
FinalPackSource = Callable[[int], int | None]


@dataclass(frozen=True)
class Settlement:
    """``RollupSettlement.settlementOf``: the recorded end-of-life state."""

    final_pack_id: int
    final_block: int
    settled_at: int
    final_state_root: bytes


@dataclass
class RollupSettlementContract:
    """Typed access to a deployed ``RollupSettlement``."""

    client: L1Client
    contract: Contract

    @property
    def address(self) -> str:
        return str(self.contract.address)

    @classmethod
    def at(cls, client: L1Client, address: str) -> RollupSettlementContract:
        return cls(client, client.contract("RollupSettlement", address))

    def _call(self, name: str, *args: Any) -> Any:
        return self.client.call(getattr(self.contract.functions, name)(*args))

    def bind_rollup(self, sender: LocalAccount, rollup_id: int, rollup: str) -> None:
        fn = self.contract.functions.bindRollup(rollup_id, Web3.to_checksum_address(rollup))
        self.client.transact(fn, sender)

    def settle(self, sender: LocalAccount, rollup_id: int) -> Any:
        return self.client.transact(self.contract.functions.settle(rollup_id), sender)

    def rollup_of(self, rollup_id: int) -> str:
        return str(self._call("rollupOf", rollup_id))

    def can_settle(self, rollup_id: int) -> bool:
        return bool(self._call("canSettle", rollup_id))

    def is_settled(self, rollup_id: int) -> bool:
        return bool(self._call("isSettled", rollup_id))

    def settlement_of(self, rollup_id: int) -> Settlement:
        raw = self._call("settlementOf", rollup_id)
        return Settlement(int(raw[0]), int(raw[1]), int(raw[2]), bytes(raw[3]))


def deploy_rollup_settlement(
    client: L1Client, deployer: LocalAccount, registry: ExecutionLayerRegistry
) -> RollupSettlementContract:
    """Deploy ``RollupSettlement`` for ``registry`` and make it the registry's settler
    (``deployer`` must be the registry's governance)."""
    contract = client.deploy(load_artifact("RollupSettlement"), deployer, registry.address)
    client.transact(registry.contract.functions.setSettler(contract.address), deployer)
    return RollupSettlementContract(client, contract)


def deploy_withdrawal_contracts(
    client: L1Client,
    governance: LocalAccount,
    registry: ExecutionLayerRegistry,
    rollup_id: int,
    rollup: str,
    *,
    settlement: RollupSettlementContract | None = None,
) -> dict[str, Deployment]:
    """What a devnet needs for withdrawals and the end of life of one rollup.

    Deploys ``RollupSettlement`` (made the registry's settler) unless ``settlement`` is
    given, binds ``rollup`` to ``rollup_id`` in it, deploys the rollup's
    ``WithdrawalPortal``, and returns the deployments-file entries both commands read
    (``RollupSettlement``, ``Rollup:<id>``, ``WithdrawalPortal:<id>``). ``governance``
    is the registry's owner (it may bind any rollup).
    """
    if settlement is None:
        settlement = deploy_rollup_settlement(client, governance, registry)
    settlement.bind_rollup(governance, rollup_id, rollup)
    portal = deploy_portal(client, governance, rollup)
    block = int(client.w3.eth.block_number)
    entries = {
        SETTLEMENT_NAME: settlement.address,
        rollup_entry_name(rollup_id): Web3.to_checksum_address(rollup),
        portal_entry_name(rollup_id): portal.address,
    }
    return {name: Deployment(name, address, block) for name, address in entries.items()}


@dataclass
class LifecycleContracts:
    """The contracts :func:`end_rollup` talks to."""

    registry: ExecutionLayerRegistry
    settlement: RollupSettlementContract
    rollup: RollupContract

    @classmethod
    def from_deployments(
        cls, client: L1Client, entries: dict[str, Deployment], rollup_id: int
    ) -> LifecycleContracts:
        """Bind the contracts named in a deployments file (one chain's entries)."""
        names = ("ExecutionLayerRegistry", SETTLEMENT_NAME, rollup_entry_name(rollup_id))
        missing = [name for name in names if name not in entries]
        if missing:
            raise DeploymentError(f"the deployments file has no {', '.join(missing)}")
        return cls(
            ExecutionLayerRegistry(
                client,
                client.contract("ExecutionLayerRegistry", entries[names[0]].address),
            ),
            RollupSettlementContract.at(client, entries[names[1]].address),
            RollupContract.at(client, entries[names[2]].address),
        )


def head_posted_since(rollup: RollupContract) -> FinalPackSource:
    """The default final-pack source: the head, once it was posted at or after the end."""

    def source(ended_at: int) -> int | None:
        head = rollup.pack(rollup.head())
        return head.pack_id if head.pack_id != 0 and head.posted_at >= ended_at else None

    return source


def _status(contracts: LifecycleContracts, rollup_id: int) -> RollupStatus:
    fn = contracts.registry.contract.functions.statusOf(rollup_id)
    return RollupStatus(int(contracts.registry.client.call(fn)))


def _ended_at(contracts: LifecycleContracts, rollup_id: int) -> int:
    fn = contracts.registry.contract.functions.endedAtOf(rollup_id)
    return int(contracts.registry.client.call(fn))


def _l1_time(client: L1Client) -> int:
    return int(client.w3.eth.get_block("latest")["timestamp"])


#: Rollup errors that only mean the chain moved between two of our calls.
_RACE_ERRORS = frozenset(
    {
        "HeightAboveHead",
        "PackAlreadyFinal",
        "PackInvalid",
        "PackDefeated",
        "DisputeInProgress",
        "ChallengeWindowOpen",
        "ParentNotFinal",
    }
)


def _finalize_ready(rollup: RollupContract, sender: LocalAccount, limit: int = 64) -> list[int]:
    """Finalize, in order, the pending packs whose window is over *as of the next block*.

    Views default to the latest block, whose timestamp stands still on an idle
    automining L1 (the devnet's anvil): the check here uses the pending block, which
    carries the time the finalizing transaction will be mined at. Others act on the
    Rollup meanwhile (a pack invalidated, a pack finalized by someone else): a revert
    caused by such a race ends this round, and the next poll sees the new state.
    """
    done: list[int] = []
    try:
        while len(done) < limit and rollup.finalized_height() < rollup.head_height():
            next_id = rollup.pack_at_height(rollup.finalized_height() + 1)
            fn = rollup.contract.functions.canFinalize(next_id)
            if not bool(fn.call(block_identifier="pending")):
                break
            _send_at_pending(rollup.client, rollup.contract.functions.finalize(next_id), sender)
            done.append(next_id)
    except TransactionReverted as error:
        if error.reason.name not in _RACE_ERRORS:
            raise
    return done


def _send_at_pending(client: L1Client, fn: Any, sender: LocalAccount) -> None:
    """``client.transact`` with the gas estimated against the pending block (``transact``
    estimates against the latest one, where the window may still look open)."""
    try:
        gas = client.w3.eth.estimate_gas(
            {"from": sender.address, "to": fn.address, "data": fn._encode_transaction_data()},
            "pending",
        )
    except (ContractCustomError, ContractLogicError, ContractPanicError) as error:
        raise TransactionReverted(decode_revert(_revert_data(error))) from None
    tx = fn.build_transaction({"from": sender.address, "gas": gas})
    # L1Client has no public "send with this gas" yet; its signing path is reused as is.
    client._sign_and_send(client._with_headroom(tx), sender)


def end_rollup(
    contracts: LifecycleContracts,
    rollup_id: int,
    requester: LocalAccount,
    *,
    sender: LocalAccount | None = None,
    final_pack: FinalPackSource | None = None,
    progress: Progress = lambda line: None,
    poll_interval: float = 1.0,
    timeout: float = 3600.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Settlement:
    """Run the end-of-life flow of ``rollup_id`` (see the module docstring).

    ``requester`` must be the rollup's requester or the registry's governance (it ends
    and binds the rollup); ``sender`` (default: ``requester``) finalizes and settles.
    """
    sender = sender or requester
    rollup = contracts.rollup
    settlement = contracts.settlement
    client = rollup.client
    source = final_pack or head_posted_since(rollup)
    deadline = clock() + timeout

    def wait(what: str) -> None:
        if clock() >= deadline:
            raise LifecycleError(f"timed out after {timeout:.0f}s waiting for {what}")
        sleep(poll_interval)

    # 1. End.
    status = _status(contracts, rollup_id)
    if status is RollupStatus.NONE:
        raise LifecycleError(f"rollup {rollup_id} does not exist")
    if status is RollupStatus.SETTLED:
        raise LifecycleError(f"rollup {rollup_id} is already settled")
    if status is RollupStatus.ENDING:
        since = _ended_at(contracts, rollup_id)
        progress(f"rollup {rollup_id} is already ending (since L1 time {since})")
    else:
        contracts.registry.client.transact(
            contracts.registry.contract.functions.endRollup(rollup_id), requester
        )
        progress(f"rollup {rollup_id} ending: {status.name} -> ENDING")
    ended_at = _ended_at(contracts, rollup_id)

    # 2. Bind.
    bound = settlement.rollup_of(rollup_id)
    if int(bound, 16) == 0:
        settlement.bind_rollup(requester, rollup_id, rollup.address)
        progress(f"Rollup {rollup.address} bound to rollup {rollup_id} in RollupSettlement")
    elif Web3.to_checksum_address(bound) != Web3.to_checksum_address(rollup.address):
        raise LifecycleError(
            f"rollup {rollup_id} is bound to Rollup {bound} in RollupSettlement, "
            f"not {rollup.address}"
        )

    # 3-4. Final pack, then tier 3.
    final_id: int | None = None
    announced_window = False
    while True:
        latest = source(ended_at)
        if latest is not None and latest != final_id:
            final_id = latest
            pack = rollup.pack(final_id)
            progress(
                f"final pack {final_id} posted: L2 blocks {pack.first_block}-{pack.last_block}, "
                f"state root 0x{pack.state_root.hex()}"
            )
            announced_window = False
        if final_id is None:
            wait("the verifiers' final pack")
            continue
        tier = rollup.tier_of(final_id)
        if tier is Tier.ROLLUP_FINAL and rollup.head() == final_id:
            progress(f"final pack {final_id} is tier 3 (rollup-level final)")
            break
        if tier is Tier.INVALID:
            progress(f"final pack {final_id} lost a dispute; waiting for a new final pack")
            final_id = None
            continue
        done = _finalize_ready(rollup, sender)
        if done:
            plural = "s" if len(done) > 1 else ""
            progress(f"finalized pack{plural} {', '.join(map(str, done))}")
            continue
        if not announced_window:
            left = rollup.pack(final_id).challenge_deadline - _l1_time(client)
            progress(
                f"final pack {final_id} is {tier.name}; challenge window ends in {max(left, 0)}s"
            )
            announced_window = True
        wait(f"pack {final_id} to become tier 3")

    # 5. Settle.
    settlement.settle(sender, rollup_id)
    result = settlement.settlement_of(rollup_id)
    progress(
        f"rollup {rollup_id} SETTLED: final pack {result.final_pack_id}, L2 block "
        f"{result.final_block}, state root 0x{result.final_state_root.hex()}"
    )
    return result
