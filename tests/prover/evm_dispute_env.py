"""An EVM-backed dispute on anvil: real rollup transactions traced in Python, a Rollup +
DisputeGame whose step verifier and trace binding are the ``EvmStepVerifier``, and
honest or lying :class:`~agents.evm.trace_proof.EvmTraceProvider` views for the
challenger/defender agents (``agents/challenger``).

Reuses ``tests/challenger/challenger_env.py`` (settlement contracts, staked verifiers,
agent construction, driving loop). Also used by ``benchmarks/bench_step_gas.py``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sha3 import keccak_256

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "challenger"))

from challenger_env import CLOCK, ETHER, WINDOW, ChainEnv, LogLines  # noqa: E402
from eth_abi import encode as abi_encode  # noqa: E402
from eth_account.signers.local import LocalAccount  # noqa: E402
from web3.contract import Contract  # noqa: E402

from agents.challenger import store as db  # noqa: E402
from agents.challenger.agent import Agent, AgentConfig, build_agent  # noqa: E402
from agents.challenger.judge import PackView, TraceFactory  # noqa: E402
from agents.dispute.trace import TraceProvider  # noqa: E402
from agents.evm.backend import Account, StateDiff  # noqa: E402
from agents.evm.commitment import trace_end_state  # noqa: E402
from agents.evm.interpreter import run_in_big_stack  # noqa: E402
from agents.evm.processing import apply_transaction  # noqa: E402
from agents.evm.proof_abi import deploy_evm_step_verifier  # noqa: E402
from agents.evm.store import MerkleStore  # noqa: E402
from agents.evm.trace import (  # noqa: E402
    KIND_COPY_WORD,
    KIND_KECCAK_BLOCK,
    Trace,
    trace_transaction,
)
from agents.evm.trace_proof import SUPPORTED, EvmTraceProvider  # noqa: E402
from agents.evm.transactions import Transaction  # noqa: E402
from agents.evm.vm import BlockEnv  # noqa: E402
from agents.l1.rollup import (  # noqa: E402
    DaKind,
    GameParams,
    RollupDeployment,
    RollupParams,
    build_pack,
    calldata_commitment,
    deploy_rollup,
    trace_context,
)
from agents.rpc.jsonlog import JsonLog  # noqa: E402

USERS = [bytes([0x40 + i]) * 20 for i in range(3)]
LEDGER = bytes.fromhex("be" * 20)
# The ledger contract: total += x (slot 0); counts[keccak(x ‖ caller)] += 1.
#   PUSH1 0 CALLDATALOAD PUSH1 0 SLOAD ADD PUSH1 0 SSTORE
#   PUSH1 0 CALLDATALOAD PUSH1 0 MSTORE CALLER PUSH1 32 MSTORE
#   PUSH1 64 PUSH1 0 KECCAK256 DUP1 SLOAD PUSH1 1 ADD SWAP1 SSTORE STOP
LEDGER_CODE = bytes.fromhex(
    "600035" "600054" "01" "600055" "600035" "600052" "33" "602052"
    "6040" "6000" "20" "80" "54" "6001" "01" "90" "55" "00"
)  # fmt: skip


def covered(kind: int) -> bool:
    """Whether the on-chain prover covers step kind ``kind``."""
    return kind in SUPPORTED or kind in (KIND_KECCAK_BLOCK, KIND_COPY_WORD)


@dataclass
class EvmPack:
    """A pack of ledger transactions, traced under the pack's trace context."""

    data: bytes
    first_block: int
    last_block: int
    context: bytes
    traces: list[Trace]
    step_depth: int
    store: MerkleStore

    @property
    def pre_root(self) -> bytes:
        return self.traces[0].pre_root

    def honest(self) -> EvmTraceProvider:
        return EvmTraceProvider(self.traces, self.step_depth)


def genesis_store(directory: Path) -> MerkleStore:
    """The L2 genesis: three funded users and the ledger contract (slot 0 = 1)."""
    store = MerkleStore(directory)
    diff = StateDiff()
    for user in USERS:
        diff.accounts[user] = Account(0, 10**21)
    code_hash = keccak_256(LEDGER_CODE).digest()
    diff.accounts[LEDGER] = Account(1, 0, code_hash)
    diff.codes[code_hash] = LEDGER_CODE
    diff.storage[LEDGER] = {0: 1}
    store.apply(diff)
    return store


TOKEN_ARTIFACT = (
    Path(__file__).resolve().parents[2] / "out" / "DevnetToken.sol" / "DevnetToken.json"
)
DEPLOYER = bytes.fromhex("de" * 20)


def _selector(signature: str) -> bytes:
    return keccak_256(signature.encode()).digest()[:4]


def install_token(store: MerkleStore) -> bytes:
    """Deploy the OpenZeppelin-based ``DevnetToken`` on ``store`` (fast mode) and mint
    to every user; returns the token's address."""
    artifact = json.loads(TOKEN_ARTIFACT.read_text())
    init_code = bytes.fromhex(artifact["bytecode"]["object"].removeprefix("0x"))
    genesis = StateDiff()
    genesis.accounts[DEPLOYER] = Account(0, 10**21)
    store.apply(genesis)
    block = BlockEnv(number=0, timestamp=1_700_000_000)
    deploy = init_code + abi_encode(["string", "string"], ["Dispute", "DSP"])
    tx = Transaction(nonce=0, gas_limit=5_000_000, to=None, data=deploy, gas_price=1)
    result = apply_transaction(store, block, tx, DEPLOYER)
    if not result.success or result.contract_address is None:
        raise AssertionError("DevnetToken deployment failed")
    token = result.contract_address
    for i, user in enumerate(USERS):
        data = _selector("mint(address,uint256)") + abi_encode(
            ["address", "uint256"], [user, 10**24]
        )
        tx = Transaction(nonce=i + 1, gas_limit=500_000, to=token, data=data, gas_price=1)
        if not apply_transaction(store, block, tx, DEPLOYER).success:
            raise AssertionError("mint failed")
    return token


def ledger_calls(tx_count: int) -> list[Transaction]:
    """``tx_count`` calls of the ledger contract, round-robin over :data:`USERS`."""
    return [
        Transaction(
            nonce=i // len(USERS),
            gas_limit=200_000,
            to=LEDGER,
            gas_price=10,
            data=(1000 + i).to_bytes(32, "big"),
        )  # fmt: skip
        for i in range(tx_count)
    ]


def token_transfers(token: bytes, tx_count: int) -> list[Transaction]:
    """``tx_count`` ERC-20 transfers between :data:`USERS`, round-robin."""
    out = []
    for i in range(tx_count):
        receiver = USERS[(i + 1) % len(USERS)]
        data = _selector("transfer(address,uint256)") + abi_encode(
            ["address", "uint256"], [receiver, 1 + i]
        )
        out.append(
            Transaction(nonce=i // len(USERS), gas_limit=200_000, to=token, gas_price=10, data=data)
        )
    return out


def trace_pack(
    store: MerkleStore,
    chain_id: int,
    first_block: int,
    tx_count: int,
    step_depth: int,
    txs: list[Transaction] | None = None,
) -> EvmPack:
    """Run ``txs`` (default: ``tx_count`` ledger calls) from the round-robin
    :data:`USERS` in block ``first_block`` on ``store``, traced."""
    if txs is None:
        txs = ledger_calls(tx_count)
    data = b"".join(tx.data for tx in txs)
    context = trace_context(
        chain_id, first_block, first_block, DaKind.CALLDATA, calldata_commitment(data)
    )
    block = BlockEnv(number=first_block, timestamp=1_700_000_000 + first_block, chain_id=chain_id)
    traces: list[Trace] = []
    for i, tx in enumerate(txs):
        pre_root = store.state_root()
        sender = USERS[i % len(USERS)]

        def run(tx: Transaction = tx, sender: bytes = sender, pre_root: bytes = pre_root) -> Trace:
            return trace_transaction(
                store, block, tx, sender, trace_context=context, tx_index=len(traces) + 1,
                backend_factory=lambda: store.at_root(pre_root),
            )  # fmt: skip

        trace = run_in_big_stack(run)
        if trace.result is None or not trace.result.success:
            raise AssertionError(f"pack transaction {i} failed: {trace.error}")
        traces.append(trace)
    return EvmPack(data, first_block, first_block, context, traces, step_depth, store)


@dataclass(frozen=True)
class LyingEvmTraceProvider:
    """The honest EVM trace, except from step ``lie_step + 1`` of transaction ``lie_tx``
    on: those states are made up, and every root from ``lie_tx`` on is wrong, with the
    padded trace ending in ``traceEnd`` of the wrong root (a consistent liar)."""

    honest: EvmTraceProvider
    context: bytes
    lie_tx: int
    lie_step: int
    _fake: dict[int, bytes] = field(default_factory=dict)

    @property
    def tx_count(self) -> int:
        return self.honest.tx_count

    @property
    def step_depth(self) -> int:
        return self.honest.step_depth

    def tx_root(self, tx_index: int) -> bytes:
        root = self.honest.tx_root(tx_index)
        if tx_index < self.lie_tx:
            return root
        return keccak_256(b"lie" + root).digest()

    def tx_roots(self) -> list[bytes]:
        return [self.tx_root(i) for i in range(1, self.tx_count + 1)]

    def step_state(self, tx_index: int, step: int) -> bytes:
        if tx_index != self.lie_tx or step <= self.lie_step:
            if tx_index > self.lie_tx and step == 0:
                return self.honest.step_state(tx_index, 0)  # never reached by bisection
            return self.honest.step_state(tx_index, step)
        if step == 1 << self.step_depth:
            return trace_end_state(self.context, tx_index, self.tx_root(tx_index))
        return keccak_256(b"lie" + self.honest.step_state(tx_index, step)).digest()

    def step_proof(self, tx_index: int, step: int) -> bytes:
        return self.honest.step_proof(tx_index, step)


def single_pack_factory(pre_root: bytes, provider: TraceProvider) -> TraceFactory:
    """A trace factory knowing exactly one pack: the one starting at ``pre_root``."""

    def factory(view: PackView) -> TraceProvider | None:
        if view.pre_state_root != pre_root or view.tx_count != provider.tx_count:
            return None
        return provider

    return factory


def deploy_evm_rollup(chain: ChainEnv, genesis_root: bytes, step_depth: int) -> RollupDeployment:
    """A Rollup + DisputeGame whose step VM and trace binding are the EVM prover."""
    verifier: Contract = deploy_evm_step_verifier(chain.client, chain.owner)
    return deploy_rollup(
        chain.client,
        chain.owner,
        execution_layer_registry=chain.settlement.execution_layer_registry.address,
        rollup_id=chain.rollup_id,
        sequencer_registry=chain.settlement.sequencer_registry.address,
        params=RollupParams(
            genesis_state_root=genesis_root,
            challenge_window=WINDOW,
            affirmation_quorum=1,
            min_verifier_stake=10 * ETHER,
        ),
        game=GameParams(
            step_verifier=verifier.address,
            trace_binding=verifier.address,
            step_depth=step_depth,
            challenger_clock=CLOCK,
            defender_clock=CLOCK,
            challenger_bond=ETHER // 10,
            slash_amount=ETHER,
        ),
        registry_owner=chain.owner,
    )


def post_evm_pack(deployment: RollupDeployment, poster: LocalAccount, pack: EvmPack,
                  roots: list[bytes]) -> int:  # fmt: skip
    """Post ``pack``'s data with the claimed per-transaction ``roots``."""
    rollup = deployment.rollup
    head_id, head_root, _ = rollup.head_state()
    built = build_pack(head_id, pack.first_block, pack.last_block, roots, head_root)
    pack_id = rollup.post_pack(poster, built, pack.data).pack_id
    if rollup.trace_context_of(pack_id) != pack.context:
        raise AssertionError("the pack's on-chain trace context differs from the traced one")
    return pack_id


def evm_agent(
    chain: ChainEnv,
    rollup_address: str,
    account: LocalAccount,
    state_dir: Path,
    factory: TraceFactory,
    *,
    challenge: bool = True,
    defend: bool = False,
) -> tuple[Agent, LogLines]:
    lines = LogLines()
    agent = build_agent(
        chain.client,
        rollup_address,
        account,
        db.open_store(state_dir),
        factory,
        config=AgentConfig(challenge=challenge, defend=defend, poll_interval=0),
        log=JsonLog("challenger", stream=lines),  # type: ignore[arg-type]
    )
    return agent, lines
