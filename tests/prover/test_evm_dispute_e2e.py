"""End to end on anvil with the real EVM: a pack of ledger transactions (SSTORE,
KECCAK256, CALLDATALOAD, ...) traced in Python; a poster that lies from a random covered
step of a random transaction loses to the challenger agent through bisection and the
``EvmStepVerifier`` step (slashed, rollup head reverted); and a challenger that lies
about a correct pack loses its bond to the defender agent."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from challenger_env import ETHER, ChainEnv, drive, make_chain
from evm_dispute_env import (
    LyingEvmTraceProvider,
    covered,
    deploy_evm_rollup,
    evm_agent,
    genesis_store,
    install_token,
    post_evm_pack,
    single_pack_factory,
    token_transfers,
    trace_pack,
)

from agents.challenger import store as db
from agents.challenger.agent import tick
from agents.dispute.game import GamePhase, read_game
from agents.l1.client import L1Client
from agents.l1.registries import ETH
from agents.l1.rollup import Tier

pytestmark = pytest.mark.xdist_group("evm-dispute")

STEP_DEPTH = 6
TXS = 4


@pytest.fixture(scope="module")
def chain(l1: L1Client, funded_keys: list[str]) -> ChainEnv:
    return make_chain(l1, funded_keys)


@pytest.mark.parametrize("seed", [5, 23])
def test_lying_poster_loses_at_an_evm_step(chain: ChainEnv, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = genesis_store(tmp_path / "l2")
    try:
        deployed = deploy_evm_rollup(chain, store.state_root(), STEP_DEPTH)
        rollup, game = deployed.rollup, deployed.game
        head_before, _, last_block = rollup.head_state()
        pack = trace_pack(store, rollup.l2_chain_id(), last_block + 1, TXS, STEP_DEPTH)
        honest = pack.honest()
        lie_tx = rng.randint(1, TXS)
        kinds = pack.traces[lie_tx - 1].kinds
        lie_step = rng.choice([i for i, kind in enumerate(kinds) if covered(kind)])
        lie = LyingEvmTraceProvider(honest, pack.context, lie_tx, lie_step)
        liar = chain.verifiers[1]
        pack_id = post_evm_pack(deployed, liar, pack, lie.tx_roots())
        challenger, _ = evm_agent(
            chain, rollup.address, chain.challenger, tmp_path / "challenger",
            single_pack_factory(pack.pre_root, honest),
        )  # fmt: skip
        defender, _ = evm_agent(
            chain, rollup.address, liar, tmp_path / "liar",
            single_pack_factory(pack.pre_root, lie), challenge=False, defend=True,
        )  # fmt: skip
        registry = chain.settlement.sequencer_registry
        stake_before = registry.active_stake(liar.address, ETH)
        drive([challenger, defender], lambda: rollup.tier_of(pack_id) is Tier.INVALID)
        tick(challenger)
        tick(defender)

        assert rollup.head() == head_before, "the rollup head reverted past the wrong pack"
        (record,) = db.list_games(challenger.store)
        assert record.phase == GamePhase.CHALLENGER_WON.value
        state = read_game(game, record.game_id)
        assert state.resolution.name == "STEP_PROOF"
        assert (state.tx_index, state.lo) == (lie_tx, lie_step), "decided at the lie"
        assert registry.active_stake(liar.address, ETH) == stake_before - ETHER, "slashed"
        assert game.functions.credit(chain.challenger.address).call() == 0, "bond claimed back"
    finally:
        store.close()


def test_lying_poster_loses_an_erc20_pack(chain: ChainEnv, tmp_path: Path) -> None:
    """OpenZeppelin ERC-20 transfers (CALLDATALOAD, SLOAD/SSTORE, KECCAK256 mapping slots,
    LOG3, RETURN, ...): the poster lies from a random covered step of a random transfer."""
    rng = random.Random(11)
    store = genesis_store(tmp_path / "l2")
    try:
        token = install_token(store)
        depth = 10
        deployed = deploy_evm_rollup(chain, store.state_root(), depth)
        rollup, game = deployed.rollup, deployed.game
        head_before, _, last_block = rollup.head_state()
        transfers = token_transfers(token, TXS)
        pack = trace_pack(store, rollup.l2_chain_id(), last_block + 1, TXS, depth, transfers)
        lie_tx = rng.randint(1, TXS)
        kinds = pack.traces[lie_tx - 1].kinds
        lie_step = rng.choice([i for i, kind in enumerate(kinds) if covered(kind)])
        lie = LyingEvmTraceProvider(pack.honest(), pack.context, lie_tx, lie_step)
        liar = chain.verifiers[2]
        pack_id = post_evm_pack(deployed, liar, pack, lie.tx_roots())
        challenger, _ = evm_agent(
            chain, rollup.address, chain.challenger, tmp_path / "challenger",
            single_pack_factory(pack.pre_root, pack.honest()),
        )  # fmt: skip
        defender, _ = evm_agent(
            chain, rollup.address, liar, tmp_path / "liar",
            single_pack_factory(pack.pre_root, lie), challenge=False, defend=True,
        )  # fmt: skip
        drive([challenger, defender], lambda: rollup.tier_of(pack_id) is Tier.INVALID)
        tick(challenger)
        assert rollup.head() == head_before
        (record,) = db.list_games(challenger.store)
        state = read_game(game, record.game_id)
        assert state.resolution.name == "STEP_PROOF"
        assert (state.tx_index, state.lo) == (lie_tx, lie_step)
    finally:
        store.close()


def test_wrong_challenger_loses_its_bond(chain: ChainEnv, tmp_path: Path) -> None:
    store = genesis_store(tmp_path / "l2")
    try:
        deployed = deploy_evm_rollup(chain, store.state_root(), STEP_DEPTH)
        rollup, game = deployed.rollup, deployed.game
        _, _, last_block = rollup.head_state()
        pack = trace_pack(store, rollup.l2_chain_id(), last_block + 1, TXS, STEP_DEPTH)
        honest = pack.honest()
        poster = chain.verifiers[0]
        pack_id = post_evm_pack(deployed, poster, pack, honest.tx_roots())
        kinds = pack.traces[1].kinds
        lie_step = [i for i, kind in enumerate(kinds) if kind == 0x55][-1]  # the last SSTORE
        lie = LyingEvmTraceProvider(honest, pack.context, 2, lie_step)
        wrong, _ = evm_agent(
            chain, rollup.address, chain.challenger, tmp_path / "wrong",
            single_pack_factory(pack.pre_root, lie),
        )  # fmt: skip
        defender, _ = evm_agent(
            chain, rollup.address, poster, tmp_path / "honest",
            single_pack_factory(pack.pre_root, honest), challenge=False, defend=True,
        )  # fmt: skip
        w3 = chain.client.w3
        balance_before = w3.eth.get_balance(poster.address)
        drive(
            [wrong, defender],
            lambda: any(
                g.phase == GamePhase.DEFENDER_WON.value for g in db.list_games(defender.store)
            ),
        )
        tick(defender)  # claims the bond
        tick(wrong)
        (record,) = db.list_games(defender.store)
        state = read_game(game, record.game_id)
        assert state.resolution.name == "STEP_PROOF"
        assert (state.tx_index, state.lo) == (2, lie_step)
        assert db.get_pack(wrong.store, pack_id).status is db.PackStatus.LOST  # type: ignore[union-attr]
        gained = w3.eth.get_balance(poster.address) - balance_before
        assert gained > ETHER // 10 - ETHER // 100, "the bond (minus gas) went to the defender"
        assert rollup.tier_of(pack_id) is not Tier.INVALID
    finally:
        store.close()
