"""Reusable helpers and hypothesis strategies for dispute-game property tests.

Everything a test needs to play whole games on a real L1 (anvil) with the AlphabetVM:

- :func:`deploy_dispute_env` deploys the AlphabetVM, a claim board, an ETH stake
  registry and DisputeGame contracts (one per step depth, on demand);
- player strategies with the solver's signature ``(state, config, me, now) -> moves``:
  :func:`honest_player`, :func:`consistent_liar` (lies from one step on),
  :func:`midpoint_liar` (a wrong claim at every midpoint, disagrees with everything),
  :func:`staller` (never moves) and :func:`self_contradicting` (switches between two
  wrong traces at random, so it disagrees with itself);
- :func:`dispute_scenarios`, a hypothesis strategy of :class:`DisputeScenario` (pack
  size, trace depth, divergence step, lying side, dishonest strategy);
- :func:`play_scenario` plays one scenario to the end, advancing L1 time when a player
  stalls, and returns a :class:`GameOutcome` with the moves and the bond accounting.

Example (in a user's own test, with the ``l1`` and ``funded_keys`` fixtures)::

    env = deploy_dispute_env(l1, funded_keys)

    @given(dispute_scenarios())
    def test_honest_side_wins(scenario):
        outcome = play_scenario(env, scenario)
        assert outcome.honest_won and outcome.accounting_balanced
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from math import ceil, log2

from eth_account.signers.local import LocalAccount
from hypothesis import strategies as st
from web3.contract import Contract

from agents.dispute import merkle
from agents.dispute.game import (
    GameConfig,
    GameState,
    GameStatus,
    Level,
    Player,
    check_transition,
    read_config,
    read_game,
)
from agents.dispute.model import GameModel
from agents.dispute.responder import Responder, l1_clock, open_game, send_moves
from agents.dispute.solver import (
    ZERO_HASH,
    Answer,
    ClaimView,
    Move,
    OpenGame,
    ResolveTimeout,
    first_midpoint,
    plan_challenge,
    segment_after,
    solve,
    state_at,
)
from agents.dispute.trace import AlphabetTraceProvider, TraceProvider, tx_root_proof
from agents.l1.artifacts import load_artifact
from agents.l1.client import L1Client

#: A player's decision function: (game state, config, which player, now) -> moves.
Strategy = Callable[[GameState, GameConfig, Player, int], list[Move]]

DISHONEST_STRATEGIES = ("consistent", "midpoints", "stall", "contradict")
ETHER = 10**18


# -- environment -----------------------------------------------------------------------


@dataclass
class DisputeEnv:
    """Contracts and accounts for AlphabetVM dispute games on one L1."""

    client: L1Client
    deployer: LocalAccount
    defender: LocalAccount
    challenger: LocalAccount
    alphabet: Contract
    board: Contract
    registry: Contract
    clock_seconds: int
    bond: int
    slash_amount: int
    games: dict[int, Contract] = field(default_factory=dict)
    _claim_ids: count = field(default_factory=count)

    def game_for(self, step_depth: int) -> Contract:
        """The DisputeGame with ``step_depth`` (deployed and authorized on first use)."""
        if step_depth not in self.games:
            config = (
                self.board.address,
                self.alphabet.address,
                self.alphabet.address,
                self.registry.address,
                step_depth,
                self.clock_seconds,
                self.clock_seconds,
                self.bond,
                "0x" + "00" * 20,
                self.slash_amount,
            )
            game = self.client.deploy(load_artifact("DisputeGame"), self.deployer, config)
            self.client.transact(self.registry.functions.setSlasher(game.address), self.deployer)
            self.games[step_depth] = game
        game = self.games[step_depth]
        # The mock registry has one slasher: point it at the game about to be played.
        if self.registry.functions.slasher().call() != game.address:
            self.client.transact(self.registry.functions.setSlasher(game.address), self.deployer)
        return game

    def new_claim_id(self, salt: int = 0) -> bytes:
        return merkle.keccak(f"claim/{salt}/{next(self._claim_ids)}".encode())

    def now(self) -> int:
        return l1_clock(self.client)()

    def advance_time(self, seconds: int) -> None:
        """Move L1 time forward by ``seconds`` and mine a block."""
        provider = self.client.w3.provider
        provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def deploy_dispute_env(
    client: L1Client,
    private_keys: list[str],
    *,
    clock_seconds: int = 3600,
    bond: int = ETHER // 10,
    slash_amount: int = ETHER,
    defender_stake: int = 500 * ETHER,
) -> DisputeEnv:
    """Deploy the AlphabetVM, mocks and stake; accounts are keys 0 (deployer), 1, 2."""
    deployer, defender, challenger = (client.account(key) for key in private_keys[:3])
    alphabet = client.deploy(load_artifact("AlphabetVM"), deployer)
    board = client.deploy(load_artifact("ClaimBoardMock", "DisputeMocks"), deployer)
    registry = client.deploy(load_artifact("SlashRegistryMock", "DisputeMocks"), deployer)
    client.transact(registry.functions.stake(defender.address), deployer, value=defender_stake)
    return DisputeEnv(
        client=client,
        deployer=deployer,
        defender=defender,
        challenger=challenger,
        alphabet=alphabet,
        board=board,
        registry=registry,
        clock_seconds=clock_seconds,
        bond=bond,
        slash_amount=slash_amount,
    )


# -- player strategies -----------------------------------------------------------------


def honest_player(trace: TraceProvider) -> Strategy:
    """Plays the solver with the true trace."""
    return lambda state, config, me, now: solve(state, config, me, trace, now)


def consistent_liar(lying_trace: TraceProvider) -> Strategy:
    """Plays the solver with a wrong trace (wrong from one step on): a consistent lie."""
    return honest_player(lying_trace)


def staller() -> Strategy:
    """Never moves (loses on time)."""
    return lambda state, config, me, now: []


def midpoint_liar(pack_trace: TraceProvider, seed: int) -> Strategy:
    """Claims a made-up state at every midpoint and disagrees with every claim.

    As defender at the transaction level it must claim its pack's roots (the contract
    checks them), so there it claims ``pack_trace``'s roots.
    """
    rng = random.Random(seed)

    def play(state: GameState, config: GameConfig, me: Player, now: int) -> list[Move]:
        if not state.mid_pending or state.phase.final:
            return []
        if state.turn is not me or state.clock_expired(config, me, now):
            return []
        segment = segment_after(state, config, agree=False)
        if not segment.needs_midpoint:
            return [Answer(state.game_id, False, ZERO_HASH)]
        position = segment.mid_position
        if segment.level is Level.TRANSACTIONS and me is Player.DEFENDER:
            root = pack_trace.tx_root(position)
            proof = tuple(tx_root_proof(pack_trace, position))
            return [Answer(state.game_id, False, root, proof)]
        made_up = merkle.keccak(rng.getrandbits(256).to_bytes(32, "big"))
        return [Answer(state.game_id, False, made_up)]

    return play


def self_contradicting(
    pack_trace: TraceProvider, other_trace: TraceProvider, seed: int
) -> Strategy:
    """Disagrees with itself: answers from one of two wrong traces and claims the next
    midpoint from one picked afresh, both at random.

    As defender at the transaction level it claims ``pack_trace``'s roots (the contract
    checks them against the pack).
    """
    rng = random.Random(seed)

    def pick() -> TraceProvider:
        return pack_trace if rng.random() < 0.5 else other_trace

    def play(state: GameState, config: GameConfig, me: Player, now: int) -> list[Move]:
        if state.turn is not me or not state.mid_pending:
            return solve(state, config, me, pick(), now)
        if state.clock_expired(config, me, now):
            return []
        mid_state = state_at(pick(), state.level, state.tx_index, state.mid_position)
        agree = mid_state == state.mid_hash
        segment = segment_after(state, config, agree)
        if not segment.needs_midpoint:
            return [Answer(state.game_id, agree, ZERO_HASH)]
        position = segment.mid_position
        if segment.level is Level.TRANSACTIONS and me is Player.DEFENDER:
            root = pack_trace.tx_root(position)
            proof = tuple(tx_root_proof(pack_trace, position))
            return [Answer(state.game_id, agree, root, proof)]
        claim = state_at(pick(), segment.level, segment.tx_index, position)
        return [Answer(state.game_id, agree, claim)]

    return play


def dishonest_player(
    strategy: str, pack_trace: TraceProvider, lying_trace: TraceProvider, seed: int
) -> Strategy:
    """The dishonest strategy named ``strategy`` (one of :data:`DISHONEST_STRATEGIES`)."""
    if strategy == "consistent":
        return consistent_liar(lying_trace)
    if strategy == "midpoints":
        return midpoint_liar(pack_trace, seed)
    if strategy == "stall":
        return staller()
    if strategy == "contradict":
        second = AlphabetTraceProvider(
            lying_trace.tx_count,
            lying_trace.step_depth,
            lie_from=1 + seed % (lying_trace.tx_count << lying_trace.step_depth),
        )
        return self_contradicting(pack_trace, second, seed)
    raise ValueError(f"unknown dishonest strategy {strategy!r}")


# -- scenarios -------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeScenario:
    """One game: who lies, how, and where the lie starts.

    The liar's trace is wrong from global step ``divergence`` on. A lying defender
    posts the pack of its trace and the honest challenger disputes its first wrong
    root; an honest defender posts the true pack and the lying challenger disputes
    root ``disputed_tx``.
    """

    tx_count: int
    step_depth: int
    divergence: int
    liar: Player
    strategy: str
    disputed_tx: int
    seed: int


@st.composite
def dispute_scenarios(
    draw: st.DrawFn,
    max_txs: int = 16,
    max_step_depth: int = 4,
    strategies: tuple[str, ...] = DISHONEST_STRATEGIES,
) -> DisputeScenario:
    """Hypothesis strategy of :class:`DisputeScenario`."""
    tx_count = draw(st.integers(1, max_txs))
    step_depth = draw(st.integers(0, max_step_depth))
    divergence = draw(st.integers(1, tx_count << step_depth))
    return DisputeScenario(
        tx_count=tx_count,
        step_depth=step_depth,
        divergence=divergence,
        liar=draw(st.sampled_from([Player.DEFENDER, Player.CHALLENGER])),
        strategy=draw(st.sampled_from(strategies)),
        disputed_tx=draw(st.integers(1, tx_count)),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


def move_bound(tx_count: int, step_depth: int) -> int:
    """ceil(log2 tx_count) + step_depth + 2: the opening, one answer per halving at each
    level, and the step (or the timeout)."""
    return (ceil(log2(tx_count)) if tx_count > 1 else 0) + step_depth + 2


@dataclass(frozen=True)
class ScenarioSetup:
    """Everything a scenario fixes before the game starts (no I/O)."""

    truth: AlphabetTraceProvider
    pack: AlphabetTraceProvider
    honest: Player
    opening: OpenGame
    strategies: dict[Player, Strategy]


def setup_scenario(scenario: DisputeScenario, claim_id: bytes = bytes(32)) -> ScenarioSetup:
    """The pack, the opening move and both players' strategies for ``scenario``."""
    truth = AlphabetTraceProvider(scenario.tx_count, scenario.step_depth)
    lie = truth.with_lie(scenario.divergence)
    honest = scenario.liar.opponent
    if scenario.liar is Player.DEFENDER:
        pack = lie
        view = ClaimView(
            claim_id,
            "defender",
            pack.tx_root(0),
            tuple(pack.tx_roots()),
            merkle.commitment(pack.tx_roots()),
        )
        opening = plan_challenge(view, truth)
        assert opening is not None, "a lying pack always has a wrong root"
    else:
        pack = truth
        disputed = scenario.disputed_tx
        opening = OpenGame(
            claim_id,
            disputed,
            pack.tx_root(disputed),
            tuple(merkle.proof(pack.tx_roots(), disputed - 1)),
            first_midpoint(lie, disputed),
        )
    strategies: dict[Player, Strategy] = {
        honest: honest_player(truth),
        scenario.liar: dishonest_player(scenario.strategy, lie, lie, scenario.seed),
    }
    return ScenarioSetup(truth, pack, honest, opening, strategies)


def _decide(
    strategies: dict[Player, Strategy], state: GameState, config: GameConfig, now: int
) -> tuple[Player, list[Move]] | None:
    """The first player (the one to move first) with something to send."""
    for player in (state.turn, state.turn.opponent):
        moves = strategies[player](state, config, player, now)
        if moves:
            return player, moves
    return None


@dataclass(frozen=True)
class ModelOutcome:
    """How a scenario ends on :class:`~agents.dispute.model.GameModel`."""

    status: GameStatus
    honest: Player
    final_state: GameState
    transactions: int
    bound: int
    history: tuple[tuple[Player, Move], ...]

    @property
    def honest_won(self) -> bool:
        return _honest_won(self.status, self.honest)


def _honest_won(status: GameStatus, honest: Player) -> bool:
    wanted = GameStatus.CHALLENGER_WON if honest is Player.CHALLENGER else GameStatus.DEFENDER_WON
    return status is wanted


def model_config(step_depth: int) -> GameConfig:
    """A :class:`GameConfig` for model games (clocks never run out there)."""
    return GameConfig("model", step_depth, 3600, 3600, ETHER // 10, "0x" + "00" * 20, ETHER)


def simulate_scenario(scenario: DisputeScenario, max_rounds: int = 400) -> ModelOutcome:
    """Play ``scenario`` on the reference model: fast, no chain, no clocks (a player who
    has nothing to send when it is its turn loses by timeout)."""
    setup = setup_scenario(scenario)
    opening = setup.opening
    model = GameModel.open(
        scenario.step_depth,
        setup.pack.tx_root(0),
        setup.pack.tx_roots(),
        opening.disputed_tx,
        opening.disputed_root,
        list(opening.root_proof),
        opening.mid_hash,
    )
    config = model_config(scenario.step_depth)
    history: list[tuple[Player, Move]] = []
    transactions = 1
    for _ in range(max_rounds):
        state = model.state()
        if state.phase.final:
            break
        decision = _decide(setup.strategies, state, config, 0)
        moves: list[Move]
        if decision is None:
            player, moves = state.turn.opponent, [ResolveTimeout(state.game_id)]
        else:
            player, moves = decision
        for move in moves:
            before = model.state().phase
            model.apply(player, move)
            check_transition(before, model.state().phase)
            history.append((player, move))
            transactions += 1
    else:
        raise AssertionError(f"model game did not end in {max_rounds} rounds")
    final = model.state()
    return ModelOutcome(
        status=final.status,
        honest=setup.honest,
        final_state=final,
        transactions=transactions,
        bound=move_bound(scenario.tx_count, scenario.step_depth),
        history=tuple(history),
    )


@dataclass(frozen=True)
class GameOutcome:
    """How a scenario played on L1 ended, with the bond accounting around it."""

    game_id: int
    status: GameStatus
    honest: Player
    final_state: GameState
    transactions: int
    bound: int
    history: tuple[tuple[Player, Move], ...]
    winner_credit_gain: int
    defender_stake_loss: int
    expected_stake_loss: int
    bond: int
    accounting_balanced: bool

    @property
    def honest_won(self) -> bool:
        return _honest_won(self.status, self.honest)

    @property
    def within_bound(self) -> bool:
        return self.transactions <= self.bound


def _balanced(env: DisputeEnv, game: Contract) -> bool:
    balance = env.client.w3.eth.get_balance(game.address)
    escrowed = game.functions.escrowedBonds().call()
    outstanding = game.functions.outstandingCredit().call()
    return int(balance) == int(escrowed) + int(outstanding)


def play_scenario(env: DisputeEnv, scenario: DisputeScenario, max_rounds: int = 400) -> GameOutcome:
    """Post the scenario's claim on L1, open the game and play it to resolution,
    advancing L1 time past the clock of a player who stalls."""
    client = env.client
    game = env.game_for(scenario.step_depth)
    config = read_config(game)
    claim_id = env.new_claim_id(scenario.seed)
    setup = setup_scenario(scenario, claim_id)
    pack = setup.pack
    deadline = env.now() + 10 * 24 * 3600
    client.transact(
        env.board.functions.postClaim(
            claim_id,
            pack.tx_root(0),
            merkle.commitment(pack.tx_roots()),
            pack.tx_count,
            deadline,
            merkle.keccak(b"context" + claim_id),
        ),
        env.defender,
    )
    responders = {
        Player.DEFENDER: Responder(client, game, env.defender, l1_clock(client)),
        Player.CHALLENGER: Responder(client, game, env.challenger, l1_clock(client)),
    }
    stake_before = int(env.registry.functions.stakeOf(env.defender.address).call())
    credit_before = {
        player: int(game.functions.credit(responders[player].address).call()) for player in Player
    }
    game_id, _ = open_game(responders[Player.CHALLENGER], setup.opening, config.challenger_bond)
    history: list[tuple[Player, Move]] = []
    transactions = 1
    state = read_game(game, game_id)
    for _ in range(max_rounds):
        if state.phase.final:
            break
        decision = _decide(setup.strategies, state, config, env.now())
        if decision is None:
            env.advance_time(config.budget(state.turn) + 1)
        else:
            player, moves = decision
            send_moves(responders[player], moves)
            history.extend((player, move) for move in moves)
            transactions += len(moves)
        new_state = read_game(game, game_id)
        check_transition(state.phase, new_state.phase)
        state = new_state
    else:
        raise AssertionError(f"game {game_id} did not end in {max_rounds} rounds")

    winner = Player.CHALLENGER if state.status is GameStatus.CHALLENGER_WON else Player.DEFENDER
    credit_gain = (
        int(game.functions.credit(responders[winner].address).call()) - credit_before[winner]
    )
    stake_after = int(env.registry.functions.stakeOf(env.defender.address).call())
    expected_loss = min(config.slash_amount, stake_before) if winner is Player.CHALLENGER else 0
    return GameOutcome(
        game_id=game_id,
        status=state.status,
        honest=setup.honest,
        final_state=state,
        transactions=transactions,
        bound=move_bound(scenario.tx_count, scenario.step_depth),
        history=tuple(history),
        winner_credit_gain=credit_gain,
        defender_stake_loss=stake_before - stake_after,
        expected_stake_loss=expected_loss,
        bond=config.challenger_bond,
        accounting_balanced=_balanced(env, game),
    )


def replay_on_model(
    scenario: DisputeScenario, history: tuple[tuple[Player, Move], ...]
) -> GameState:
    """Replay an L1 game's moves on the reference model; returns the model's final state."""
    setup = setup_scenario(scenario)
    opening = setup.opening
    model = GameModel.open(
        scenario.step_depth,
        setup.pack.tx_root(0),
        setup.pack.tx_roots(),
        opening.disputed_tx,
        opening.disputed_root,
        list(opening.root_proof),
        opening.mid_hash,
    )
    for player, move in history:
        model.apply(player, move)
    return model.state()
