"""Gas and moves of a full dispute over a pack of 1,000 transactions of 2^20 (~10^6)
AlphabetVM steps each, measured from transaction receipts on anvil (intrinsic and
calldata gas included). Run with ``-s`` to see the table."""

from __future__ import annotations

from math import ceil, log2
from statistics import median

from agents.dispute import merkle
from agents.dispute.game import GameStatus, Level, Player, read_config, read_game
from agents.dispute.responder import Responder, l1_clock, open_game, send_move
from agents.dispute.solver import ClaimView, plan_challenge, solve
from agents.dispute.testing import deploy_dispute_env
from agents.dispute.trace import AlphabetTraceProvider
from agents.l1.client import L1Client

TXS = 1000
STEP_DEPTH = 20
LIE_AT = 613_000_123  # a global step inside transaction 585


def test_gas_of_a_thousand_tx_million_step_dispute(l1: L1Client, funded_keys: list[str]) -> None:
    env = deploy_dispute_env(l1, funded_keys)
    game = env.game_for(STEP_DEPTH)
    config = read_config(game)
    truth = AlphabetTraceProvider(TXS, STEP_DEPTH)
    pack = truth.with_lie(LIE_AT)
    claim_id = env.new_claim_id(1000)
    l1.transact(
        env.board.functions.postClaim(
            claim_id,
            pack.tx_root(0),
            merkle.commitment(pack.tx_roots()),
            TXS,
            env.now() + 86_400,
            bytes(32),
        ),
        env.defender,
    )
    players = {
        Player.CHALLENGER: (Responder(l1, game, env.challenger, l1_clock(l1)), truth),
        Player.DEFENDER: (Responder(l1, game, env.defender, l1_clock(l1)), pack),
    }
    view = ClaimView(
        claim_id, "", pack.tx_root(0), tuple(pack.tx_roots()), merkle.commitment(pack.tx_roots())
    )
    opening = plan_challenge(view, truth)
    assert opening is not None
    game_id, receipt = open_game(players[Player.CHALLENGER][0], opening, config.challenger_bond)
    gas: dict[str, list[int]] = {"open": [int(receipt["gasUsed"])]}
    state = read_game(game, game_id)
    while not state.phase.final:
        for me in (state.turn, state.turn.opponent):
            responder, trace = players[me]
            moves = solve(state, config, me, trace, env.now())
            if moves:
                break
        assert moves, "honest play never stalls"
        for move in moves:
            kind = type(move).__name__
            if kind == "Answer":
                level = "tx" if state.level is Level.TRANSACTIONS else "step"
                kind = f"answer/{level}/{'defender' if me is Player.DEFENDER else 'challenger'}"
            gas.setdefault(kind, []).append(int(send_move(responder, move)["gasUsed"]))
        state = read_game(game, game_id)

    assert state.status is GameStatus.CHALLENGER_WON
    assert state.disputed_tx == (LIE_AT + (1 << STEP_DEPTH) - 1) >> STEP_DEPTH
    transactions = sum(len(values) for values in gas.values())
    bound = ceil(log2(TXS)) + STEP_DEPTH + 2
    total = sum(sum(values) for values in gas.values())
    rows = [
        f"{'action':<28}{'count':>6}{'median gas':>12}{'max gas':>10}",
        *(
            f"{kind:<28}{len(values):>6}{int(median(values)):>12}{max(values):>10}"
            for kind, values in gas.items()
        ),
        f"{'total':<28}{transactions:>6}{'':>12}{total:>10}",
    ]
    print("\n1,000-tx x 2^20-step AlphabetVM dispute (receipts, anvil):\n" + "\n".join(rows))
    assert transactions <= bound
    assert total <= 5_000_000
