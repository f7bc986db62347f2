"""The challenger and defender agents in-process against a real anvil: a wrong pack is
challenged, bisected, stepped and invalidated (its lying defender agent loses), and a
wrong challenger loses its bond to the honest defender agent."""

from __future__ import annotations

from pathlib import Path

import pytest
from challenger_env import (
    ETHER,
    STEP_DEPTH,
    TRUTH,
    TXS,
    ChainEnv,
    advance,
    deploy,
    drive,
    make_agent,
    post_window,
)

from agents.challenger import store as db
from agents.challenger.agent import tick
from agents.dispute.game import GamePhase, read_game
from agents.l1.registries import ETH
from agents.l1.rollup import Tier

pytestmark = pytest.mark.xdist_group("challenger")


def test_wrong_pack_is_challenged_and_reverted(chain: ChainEnv, tmp_path: Path) -> None:
    deployed = deploy(chain)
    rollup, game = deployed.rollup, deployed.game
    honest, liar, third, _ = chain.verifiers
    lie_from = ((TXS + 3) << STEP_DEPTH) + 5
    lie = TRUTH.with_lie(lie_from)
    p1 = post_window(rollup, honest, TRUTH, 0)
    p2 = post_window(rollup, liar, lie, TXS)
    p3 = post_window(rollup, third, lie, 2 * TXS)

    challenger, challenger_log = make_agent(
        chain, rollup.address, chain.challenger, tmp_path / "challenger"
    )
    defender, defender_log = make_agent(
        chain,
        rollup.address,
        liar,
        tmp_path / "liar",
        lie_from=lie_from,
        challenge=False,
        defend=True,
    )
    stake_before = chain.settlement.sequencer_registry.active_stake(liar.address, ETH)
    drive([challenger, defender], lambda: rollup.tier_of(p2) is Tier.INVALID)
    tick(challenger)
    tick(defender)

    assert rollup.head() == p1
    assert rollup.tier_of(p3) is Tier.INVALID
    statuses = {p.pack_id: p.status for p in db.list_packs(challenger.store)}
    assert statuses == {
        p1: db.PackStatus.VALID,
        p2: db.PackStatus.INVALIDATED,
        p3: db.PackStatus.INVALIDATED,
    }
    (game_record,) = db.list_games(challenger.store)
    assert game_record.phase == GamePhase.CHALLENGER_WON.value
    state = read_game(game, game_record.game_id)
    assert state.resolution.name == "STEP_PROOF"
    (defended,) = db.list_games(defender.store)
    assert defended.game_id == game_record.game_id
    assert defended.role is db.GameRole.DEFENDER
    assert defender.metrics.value("games_lost", role="defender") == 1
    assert challenger.metrics.value("games_won", role="challenger") == 1
    stake_after = chain.settlement.sequencer_registry.active_stake(liar.address, ETH)
    assert stake_before - stake_after == ETHER, "the lying verifier was slashed"
    assert game.functions.credit(chain.challenger.address).call() == 0, "bond claimed back"
    # Every journaled transaction landed exactly once; none reverted.
    txs = db.list_txs(challenger.store)
    assert all(tx.status is db.TxStatus.MINED for tx in txs)
    assert len({tx.intent for tx in txs}) == len(txs)
    events = [json_event(line) for line in challenger_log.lines]
    for needed in (
        "pack-seen",
        "pack-judged",
        "game-opened",
        "move-sent",
        "game-resolved",
        "pack-invalidated",
        "credit-claimed",
    ):
        assert needed in events, needed
    assert "game-resolved" in [json_event(line) for line in defender_log.lines]


def test_wrong_challenger_loses_bond_to_defender(chain: ChainEnv, tmp_path: Path) -> None:
    deployed = deploy(chain)
    rollup, game = deployed.rollup, deployed.game
    honest = chain.verifiers[0]
    p1 = post_window(rollup, honest, TRUTH, 0)
    wrong, _ = make_agent(
        chain, rollup.address, chain.challenger, tmp_path / "wrong", lie_from=(2 << STEP_DEPTH) + 1
    )
    defender, _ = make_agent(
        chain, rollup.address, honest, tmp_path / "honest", challenge=False, defend=True
    )
    w3 = chain.client.w3
    balance_before = w3.eth.get_balance(honest.address)
    drive(
        [wrong, defender],
        lambda: any(g.phase == GamePhase.DEFENDER_WON.value for g in db.list_games(defender.store)),
    )
    tick(defender)  # claims the bond
    tick(wrong)  # sees the loss
    assert db.get_pack(wrong.store, p1).status is db.PackStatus.LOST  # type: ignore[union-attr]
    assert defender.metrics.value("games_won", role="defender") == 1
    assert wrong.metrics.value("games_lost", role="challenger") == 1
    assert game.functions.credit(honest.address).call() == 0
    gained = w3.eth.get_balance(honest.address) - balance_before
    assert gained > ETHER // 10 - ETHER // 100, "the bond (minus gas) went to the defender"
    advance(chain.client, 3600)
    assert rollup.finalize_ready(honest) == [p1]
    tick(defender)
    assert db.get_pack(defender.store, p1).status is db.PackStatus.FINALIZED  # type: ignore[union-attr]


def json_event(line: str) -> str:
    import json

    return str(json.loads(line)["event"])


def test_wrong_pack_past_its_window_is_not_challenged(chain: ChainEnv, tmp_path: Path) -> None:
    deployed = deploy(chain)
    rollup, game = deployed.rollup, deployed.game
    liar = chain.verifiers[2]
    lie = TRUTH.with_lie((2 << STEP_DEPTH) + 1)
    p1 = post_window(rollup, liar, lie, 0)
    advance(chain.client, 3600)
    late, lines = make_agent(chain, rollup.address, chain.challenger, tmp_path / "late")
    for _ in range(3):
        tick(late)
    record = db.get_pack(late.store, p1)
    assert record is not None and record.status is db.PackStatus.INVALID
    assert record.detail == "challenge window closed"
    assert int(game.functions.gameCount().call()) == 0
    assert [json_event(line) for line in lines.lines].count("window-closed") == 1
