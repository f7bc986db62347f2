"""A small but complete scene for the dashboard tests.

L1: anvil with the settlement contracts, an Active rollup with four staked verifiers,
its Rollup + DisputeGame (AlphabetVM), and three packs over the L2's first six blocks:
pack 1 rollup-final (tier 3), pack 2 verified (tier 2), pack 3 posted by a lying
verifier and challenged, its game bisected half-way. L2: either the real producer node
in-process, with the L1 Rollup as its finality oracle (so ``altrollup_getFinality``
reports tiers 1-3), or a second anvil standing in for a plain Ethereum node (tiers come
from ``Rollup.tierOfBlock``). NFTs are minted on the L2 with the load generator.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from agents.dispute.game import Player, read_config, read_game
from agents.dispute.responder import Responder, l1_clock, open_game, respond_once
from agents.dispute.solver import ClaimView, plan_challenge
from agents.dispute.trace import AlphabetTraceProvider
from agents.l1.artifacts import load_artifact
from agents.l1.client import L1Client
from agents.l1.deployments import Deployment, record_deployments
from agents.l1.rollup import (
    GameParams,
    RollupDeployment,
    RollupParams,
    build_pack,
    deploy_rollup,
)
from agents.l1.testing import bootstrap_active_rollup
from agents.rpc.client import JsonRpcClient

ETHER = 10**18
STEP_DEPTH = 4
TXS = 4
WINDOW = 600
TRUTH = AlphabetTraceProvider(tx_count=64, step_depth=STEP_DEPTH, start_value=1000)
LIE = AlphabetTraceProvider(
    tx_count=64, step_depth=STEP_DEPTH, start_value=1000, lie_from=((2 * TXS + 2) << STEP_DEPTH) + 5
)
PACK_BLOCKS = ((1, 2), (3, 4), (5, 6))


@dataclass
class Scene:
    """What the scene built on L1."""

    client: L1Client
    deployment: RollupDeployment
    deployments_file: Path
    verifiers: list[LocalAccount]
    challenger: LocalAccount
    game_id: int
    sequencers: tuple[str, ...]


@dataclass(frozen=True)
class Window:
    """Transactions ``offset + 1 .. offset + TXS`` of ``base`` as one pack's trace."""

    base: AlphabetTraceProvider
    offset: int

    @property
    def step_depth(self) -> int:
        return self.base.step_depth

    @property
    def tx_count(self) -> int:
        return TXS

    def tx_root(self, tx_index: int) -> bytes:
        return self.base.tx_root(self.offset + tx_index)

    def tx_roots(self) -> list[bytes]:
        return [self.tx_root(i) for i in range(1, TXS + 1)]

    def step_state(self, tx_index: int, step: int) -> bytes:
        return self.base.step_state(self.offset + tx_index, step)

    def step_proof(self, tx_index: int, step: int) -> bytes:
        return self.base.step_proof(self.offset + tx_index, step)


def advance(client: L1Client, seconds: int) -> None:
    client.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    client.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def wait_for_head(l2: JsonRpcClient, height: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while int(l2.call("eth_blockNumber"), 16) < height:
        if time.monotonic() > deadline:
            raise AssertionError(f"the L2 did not reach block {height}")
        time.sleep(0.05)


def build_l1(l1: L1Client, keys: list[str], directory: Path) -> Scene:
    """Contracts, rollup and deployments file (no pack yet)."""
    owner = Account.from_key(keys[0])
    verifiers = [Account.from_key(key) for key in keys[1:5]]
    active = bootstrap_active_rollup(
        l1,
        owner,
        verifiers,
        Account.from_key(keys[9]),
        endpoint_port_base=9500,
        vrf_seed=b"dashboard test validator",
        request={
            "execution_layer_req": {
                "settlement_layer": "ethereum",
                "da_layer": "ethereum-calldata",
                "vm": "evm",
                "type": "optimistic",
                "purpose": "app-specific",
                "kind": "flash",
                "nb_sequencers": {"min": 2, "max": 3},
                "allowed_tokens": [{"sym": "ETH"}],
                "min_stake_per_seq": [{"sym": "ETH", "val": "10"}],
            }
        },
    )
    alphabet: Contract = l1.deploy(load_artifact("AlphabetVM"), owner)
    deployment = deploy_rollup(
        l1,
        owner,
        execution_layer_registry=active.settlement.execution_layer_registry.address,
        rollup_id=active.rollup_id,
        sequencer_registry=active.settlement.sequencer_registry.address,
        params=RollupParams(
            genesis_state_root=TRUTH.tx_root(0),
            challenge_window=WINDOW,
            affirmation_quorum=1,
            min_verifier_stake=10 * ETHER,
        ),
        game=GameParams(
            step_verifier=alphabet.address,
            trace_binding=alphabet.address,
            step_depth=STEP_DEPTH,
            challenger_bond=ETHER // 10,
            slash_amount=ETHER,
        ),
        registry_owner=owner,
    )
    block = l1.w3.eth.block_number
    entries = active.settlement.deployments(block)
    entries["Rollup"] = Deployment("Rollup", deployment.rollup.address, block)
    deployments_file = directory / "deployments.json"
    record_deployments(l1.chain_id, entries, deployments_file)
    sequencers = active.settlement.execution_layer_registry.info(active.rollup_id).sequencers
    return Scene(
        l1, deployment, deployments_file, verifiers, Account.from_key(keys[5]), 0, sequencers
    )


def post_packs_and_dispute(scene: Scene) -> None:
    """Pack 1 final, pack 2 verified, pack 3 (a lie) challenged and half bisected."""
    rollup = scene.deployment.rollup
    client = scene.client
    v1, v2, v3, liar = scene.verifiers
    for index, (first, last) in enumerate(PACK_BLOCKS):
        head_id, head_root, _ = rollup.head_state()
        window = Window(LIE if index == 2 else TRUTH, index * TXS)
        pack = build_pack(head_id, first, last, window.tx_roots(), head_root)
        poster = liar if index == 2 else (v1, v2)[index]
        rollup.post_pack(poster, pack, f"pack {index + 1}".encode())
        if index == 0:
            rollup.affirm(v3, 1)
            advance(client, WINDOW)
            rollup.finalize(v3, 1)
        elif index == 1:
            rollup.affirm(v3, 2)
    info = rollup.pack_info(3)
    lying = Window(LIE, 2 * TXS)
    honest = Window(TRUTH, 2 * TXS)
    claim = ClaimView(
        claim_id=info.claim_id,
        defender=info.pack.poster,
        pre_state_root=info.pre_state_root,
        tx_roots=tuple(lying.tx_roots()),
        tx_roots_commitment=info.pack.tx_roots_commitment,
    )
    opening = plan_challenge(claim, honest)
    assert opening is not None, "the lying pack must be challengeable"
    game = scene.deployment.game
    config = read_config(game)
    challenger = Responder(client, game, scene.challenger, l1_clock(client))
    defender = Responder(client, game, liar, l1_clock(client))
    game_id, _ = open_game(challenger, opening, config.challenger_bond)
    for _ in range(2):  # a few moves: the game is visibly in progress
        respond_once(defender, game_id, Player.DEFENDER, lying, config)
        respond_once(challenger, game_id, Player.CHALLENGER, honest, config)
    assert not read_game(game, game_id).phase.final
    scene.game_id = game_id
