"""Dispute games on a real anvil L1 with the AlphabetVM.

The property test plays random scenarios (pack size, trace depth, divergence point,
lying side, dishonest strategy: consistent lie, lie at every midpoint, stall, disagree
with itself) and checks that the honest side wins within
ceil(log2 txs) + log2(steps per tx) + 2 transactions, that bonds and slashes balance,
and that the contract ends exactly where the Python reference model does.
"""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings

from agents.dispute import merkle
from agents.dispute.game import GameStatus, Player, read_claim_games, read_config, read_game
from agents.dispute.responder import (
    Responder,
    claim_credit,
    l1_clock,
    open_game,
    respond_once,
    send_move,
)
from agents.dispute.solver import Answer, ClaimView, plan_challenge
from agents.dispute.testing import (
    DisputeEnv,
    DisputeScenario,
    deploy_dispute_env,
    dispute_scenarios,
    play_scenario,
    replay_on_model,
)
from agents.dispute.trace import AlphabetTraceProvider
from agents.l1.client import L1Client, TransactionReverted


@pytest.fixture(scope="module")
def env(l1: L1Client, funded_keys: list[str]) -> DisputeEnv:
    return deploy_dispute_env(l1, funded_keys)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(scenario=dispute_scenarios(max_txs=24, max_step_depth=4))
def test_honest_side_wins_on_l1(env: DisputeEnv, scenario: DisputeScenario) -> None:
    outcome = play_scenario(env, scenario)
    assert outcome.honest_won, scenario
    assert outcome.within_bound, (outcome.transactions, outcome.bound)
    assert outcome.accounting_balanced
    assert outcome.winner_credit_gain == outcome.bond
    assert outcome.defender_stake_loss == outcome.expected_stake_loss
    model = replay_on_model(scenario, outcome.history)
    final = outcome.final_state
    for field in ("status", "resolution", "level", "tx_index", "lo", "hi", "hi_claimant", "moves"):
        assert getattr(model, field) == getattr(final, field), field
    assert (model.lo_hash, model.hi_hash) == (final.lo_hash, final.hi_hash)


def _post_claim(env: DisputeEnv, claim_id: bytes, pack: AlphabetTraceProvider) -> None:
    env.client.transact(
        env.board.functions.postClaim(
            claim_id,
            pack.tx_root(0),
            merkle.commitment(pack.tx_roots()),
            pack.tx_count,
            env.now() + 86_400,
            bytes(32),
        ),
        env.defender,
    )


def _view(claim_id: bytes, pack: AlphabetTraceProvider) -> ClaimView:
    return ClaimView(
        claim_id,
        "defender",
        pack.tx_root(0),
        tuple(pack.tx_roots()),
        merkle.commitment(pack.tx_roots()),
    )


def test_concurrent_games_on_one_claim(env: DisputeEnv, funded_keys: list[str]) -> None:
    game = env.game_for(3)
    config = read_config(game)
    truth = AlphabetTraceProvider(10, 3)
    pack = truth.with_lie(50)
    claim_id = env.new_claim_id(99)
    _post_claim(env, claim_id, pack)
    second = env.client.account(funded_keys[3])
    honest = Responder(env.client, game, env.challenger, l1_clock(env.client))
    wrong = Responder(env.client, game, second, l1_clock(env.client))
    defender = Responder(env.client, game, env.defender, l1_clock(env.client))

    opening = plan_challenge(_view(claim_id, pack), truth)
    assert opening is not None
    honest_game, _ = open_game(honest, opening, config.challenger_bond)
    # A wrong challenger disputes r_2, which the pack has right.
    wrong_trace = truth.with_lie(3)
    wrong_opening = plan_challenge(_view(claim_id, pack), wrong_trace)
    assert wrong_opening is not None and wrong_opening.disputed_tx == 1
    wrong_game, _ = open_game(wrong, wrong_opening, config.challenger_bond)

    functions = game.functions
    assert functions.hasOpenGame(claim_id).call()
    assert functions.gamesOf(claim_id).call() == [honest_game, wrong_game]
    assert functions.claimRecord(claim_id).call() == (2, 2, False)

    players = {
        honest_game: ((Player.CHALLENGER, honest, truth), (Player.DEFENDER, defender, pack)),
        wrong_game: ((Player.CHALLENGER, wrong, wrong_trace), (Player.DEFENDER, defender, pack)),
    }
    # Play the wrong challenger's game first: the claim stays open, not defeated.
    for game_id in (wrong_game, honest_game):
        for _ in range(40):
            if read_game(game, game_id).phase.final:
                break
            for me, responder, trace in players[game_id]:
                respond_once(responder, game_id, me, trace, config)
        status = read_game(game, game_id).status
        if game_id == wrong_game:
            assert status is GameStatus.DEFENDER_WON
            assert functions.hasOpenGame(claim_id).call()
            assert not functions.isDefeated(claim_id).call()
        else:
            assert status is GameStatus.CHALLENGER_WON
    assert not functions.hasOpenGame(claim_id).call()
    assert functions.isDefeated(claim_id).call()
    assert not functions.isUndisputed(claim_id).call()
    games = read_claim_games(game, claim_id)
    assert games.game_ids == (honest_game, wrong_game)
    assert (games.open_games, games.total_games, games.defeated) == (0, 2, True)
    assert not games.may_finalize

    # Bonds: the defender won one bond, the honest challenger got its own back.
    # (Earlier games in this module may have credited the same accounts too.)
    credit = functions.credit(honest.address).call()
    assert credit >= config.challenger_bond
    balance_before = env.client.w3.eth.get_balance(game.address)
    receipt = claim_credit(honest)
    assert receipt is not None
    assert env.client.w3.eth.get_balance(game.address) == balance_before - credit
    assert functions.credit(honest.address).call() == 0
    assert claim_credit(honest) is None
    assert env.client.w3.eth.get_balance(game.address) == (
        functions.escrowedBonds().call() + functions.outstandingCredit().call()
    )


def test_reverts_come_back_decoded(env: DisputeEnv) -> None:
    game = env.game_for(2)
    config = read_config(game)
    truth = AlphabetTraceProvider(4, 2)
    pack = truth.with_lie(6)
    claim_id = env.new_claim_id(7)
    _post_claim(env, claim_id, pack)
    challenger = Responder(env.client, game, env.challenger, l1_clock(env.client))
    opening = plan_challenge(_view(claim_id, pack), truth)
    assert opening is not None
    game_id, _ = open_game(challenger, opening, config.challenger_bond)
    with pytest.raises(TransactionReverted) as caught:
        send_move(challenger, Answer(game_id, True, b"\x01" * 32))
    assert caught.value.reason.name == "NotYourTurn"
    with pytest.raises(TransactionReverted) as caught:
        open_game(challenger, opening, config.challenger_bond - 1)
    assert caught.value.reason.name == "IncorrectBond"


def test_responder_logs_one_json_line_per_action(
    env: DisputeEnv, caplog: pytest.LogCaptureFixture
) -> None:
    game = env.game_for(1)
    config = read_config(game)
    truth = AlphabetTraceProvider(2, 1)
    pack = truth.with_lie(3)
    claim_id = env.new_claim_id(8)
    _post_claim(env, claim_id, pack)
    challenger = Responder(env.client, game, env.challenger, l1_clock(env.client))
    defender = Responder(env.client, game, env.defender, l1_clock(env.client))
    opening = plan_challenge(_view(claim_id, pack), truth)
    assert opening is not None
    with caplog.at_level(logging.INFO, logger="altrollup.dispute"):
        game_id, _ = open_game(challenger, opening, config.challenger_bond)
        for _ in range(10):
            if read_game(game, game_id).phase.final:
                break
            respond_once(defender, game_id, Player.DEFENDER, pack, config)
            respond_once(challenger, game_id, Player.CHALLENGER, truth, config)
    assert read_game(game, game_id).status is GameStatus.CHALLENGER_WON
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "altrollup.dispute"]
    assert [r["action"] for r in records][0] == "open"
    assert records[-1]["action"] == "step"
    for record in records:
        assert record["game"] == game_id
        assert record["tx"].startswith("0x") and record["gas"] > 0


def test_docs_example_runs(env: DisputeEnv) -> None:
    """The user-facing example in docs/dispute-game.md, with a restricted strategy set."""

    @settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(dispute_scenarios(max_txs=32, max_step_depth=5, strategies=("stall", "midpoints")))
    def run(scenario: DisputeScenario) -> None:
        outcome = play_scenario(env, scenario)
        assert outcome.honest_won and outcome.within_bound and outcome.accounting_balanced

    run()
