"""Fixtures for the challenger/defender agent tests: a real anvil with the settlement
contracts, staked verifiers, and a fresh Rollup + DisputeGame (AlphabetVM) per test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from agents.challenger import store as db
from agents.challenger.agent import Agent, AgentConfig, build_agent, tick
from agents.challenger.judge import alphabet_trace_factory
from agents.dispute.trace import AlphabetTraceProvider
from agents.l1.artifacts import load_artifact
from agents.l1.client import L1Client
from agents.l1.registries import SettlementContracts
from agents.l1.rollup import (
    BuiltPack,
    GameParams,
    RollupContract,
    RollupDeployment,
    RollupParams,
    build_pack,
    deploy_rollup,
)
from agents.l1.testing import bootstrap_active_rollup
from agents.rpc.jsonlog import JsonLog

ETHER = 10**18
STEP_DEPTH = 4
TXS = 8  # transactions per pack
WINDOW = 3600
CLOCK = 3600
START_VALUE = 1000
HISTORY_TXS = 256


@dataclass
class ChainEnv:
    client: L1Client
    keys: list[str]
    owner: LocalAccount
    verifiers: list[LocalAccount]  # keys 1..4, staked and registered
    challenger: LocalAccount  # key 5, not a verifier
    settlement: SettlementContracts
    rollup_id: int
    alphabet: Contract


def make_chain(l1: L1Client, funded_keys: list[str]) -> ChainEnv:
    owner = Account.from_key(funded_keys[0])
    verifiers = [Account.from_key(key) for key in funded_keys[1:5]]
    active = bootstrap_active_rollup(
        l1,
        owner,
        verifiers,
        Account.from_key(funded_keys[9]),
        endpoint_port_base=9300,
        vrf_seed=b"challenger test validator",
    )
    settlement, rollup_id = active.settlement, active.rollup_id
    alphabet = l1.deploy(load_artifact("AlphabetVM"), owner)
    return ChainEnv(
        client=l1,
        keys=funded_keys,
        owner=owner,
        verifiers=verifiers,
        challenger=Account.from_key(funded_keys[5]),
        settlement=settlement,
        rollup_id=rollup_id,
        alphabet=alphabet,
    )


TRUTH = AlphabetTraceProvider(HISTORY_TXS, STEP_DEPTH, START_VALUE)


def truth(step_depth: int = STEP_DEPTH) -> AlphabetTraceProvider:
    """The honest AlphabetVM history for games of ``step_depth``."""
    return AlphabetTraceProvider(HISTORY_TXS, step_depth, START_VALUE)


def deploy(chain: ChainEnv, step_depth: int = STEP_DEPTH) -> RollupDeployment:
    """A fresh Rollup + DisputeGame whose genesis is the AlphabetVM history's start."""
    return deploy_rollup(
        chain.client,
        chain.owner,
        execution_layer_registry=chain.settlement.execution_layer_registry.address,
        rollup_id=chain.rollup_id,
        sequencer_registry=chain.settlement.sequencer_registry.address,
        params=RollupParams(
            genesis_state_root=TRUTH.tx_root(0),
            challenge_window=WINDOW,
            affirmation_quorum=1,
            min_verifier_stake=10 * ETHER,
        ),
        game=GameParams(
            step_verifier=chain.alphabet.address,
            trace_binding=chain.alphabet.address,
            step_depth=step_depth,
            challenger_clock=CLOCK,
            defender_clock=CLOCK,
            challenger_bond=ETHER // 10,
            slash_amount=ETHER,
        ),
        registry_owner=chain.owner,
    )


def window_roots(base: AlphabetTraceProvider, offset: int, count: int = TXS) -> list[bytes]:
    return [base.tx_root(offset + i) for i in range(1, count + 1)]


def post_window(
    rollup: RollupContract, poster: LocalAccount, base: AlphabetTraceProvider, offset: int
) -> int:
    """Post transactions ``offset+1 .. offset+TXS`` of ``base`` as the next pack."""
    head_id, head_root, last_block = rollup.head_state()
    pack: BuiltPack = build_pack(
        head_id, last_block + 1, last_block + 2, window_roots(base, offset), head_root
    )
    return rollup.post_pack(poster, pack, f"pack data {offset}".encode()).pack_id


def advance(client: L1Client, seconds: int) -> None:
    client.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    client.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


class LogLines:
    """A text stream that keeps the JSON log lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines.extend(line for line in text.splitlines() if line)

    def flush(self) -> None:
        pass


def make_agent(
    chain: ChainEnv,
    rollup_address: str,
    account: LocalAccount,
    state_dir: Path,
    *,
    lie_from: int | None = None,
    challenge: bool = True,
    defend: bool = False,
    step_depth: int = STEP_DEPTH,
) -> tuple[Agent, LogLines]:
    lines = LogLines()
    agent = build_agent(
        chain.client,
        rollup_address,
        account,
        db.open_store(state_dir),
        alphabet_trace_factory(
            step_depth, history_txs=HISTORY_TXS, start_value=START_VALUE, lie_from=lie_from
        ),
        config=AgentConfig(challenge=challenge, defend=defend, poll_interval=0),
        log=JsonLog("challenger", stream=lines),  # type: ignore[arg-type]
    )
    return agent, lines


def drive(agents: list[Agent], done: Callable[[], bool], max_rounds: int = 120) -> int:
    for round_number in range(max_rounds):
        if done():
            return round_number
        for agent in agents:
            tick(agent)
    raise AssertionError(f"not done after {max_rounds} rounds")
