"""An executable reference of DisputeGame's bisection rules (AlphabetVM, no chain).

:class:`GameModel` applies the same checks and transitions as
``contracts/dispute/DisputeGame.sol`` for one game whose step VM is the AlphabetVM
(identity trace binding), leaving out clocks, bonds and slashing. It exposes its state as
an :class:`~agents.dispute.game.GameState`, so the solver and the test strategies run
against it unchanged. That makes thousands of hypothesis examples cheap, and the anvil
tests check that the contract ends every game exactly where the model does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.dispute import merkle
from agents.dispute.game import GameState, GameStatus, Level, Player, Resolution
from agents.dispute.solver import Answer, ResolveTimeout, SubmitStep
from agents.dispute.trace import alphabet_state_hash

ZERO_HASH = bytes(32)


class ModelRevert(Exception):
    """The contract would revert with the error named ``args[0]``."""


def alphabet_step(pre_state: bytes, proof: bytes) -> bytes:
    """The AlphabetVM's step (reverts like the contract on a bad proof)."""
    if len(proof) != 64:
        raise ModelRevert("InvalidProofLength")
    counter = int.from_bytes(proof[:32], "big")
    value = int.from_bytes(proof[32:], "big")
    if alphabet_state_hash(counter, value) != pre_state:
        raise ModelRevert("PreStateMismatch")
    return alphabet_state_hash(counter + 1, value + 1)


@dataclass
class GameModel:
    """One game, mutated by :meth:`apply` exactly as the contract would."""

    step_depth: int
    pre_state_root: bytes
    commitment: bytes
    tx_count: int
    game_id: int = 1
    status: GameStatus = GameStatus.IN_PROGRESS
    level: Level = Level.TRANSACTIONS
    turn: Player = Player.DEFENDER
    hi_claimant: Player = Player.DEFENDER
    mid_pending: bool = False
    resolution: Resolution = Resolution.NONE
    moves: int = 0
    disputed_tx: int = 0
    tx_index: int = 0
    lo: int = 0
    hi: int = 0
    lo_hash: bytes = ZERO_HASH
    hi_hash: bytes = ZERO_HASH
    mid_hash: bytes = ZERO_HASH
    log: list[str] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        step_depth: int,
        pre_state_root: bytes,
        tx_roots: list[bytes],
        disputed_tx: int,
        disputed_root: bytes,
        root_proof: list[bytes],
        mid_hash: bytes,
    ) -> GameModel:
        """``createGame``."""
        commitment = merkle.commitment(tx_roots)
        if not 1 <= disputed_tx <= len(tx_roots):
            raise ModelRevert("DisputedTxOutOfRange")
        if not merkle.verify(commitment, len(tx_roots), disputed_tx - 1, disputed_root, root_proof):
            raise ModelRevert("InvalidTxRootProof")
        game = cls(step_depth, pre_state_root, commitment, len(tx_roots))
        game.disputed_tx = disputed_tx
        game.hi = disputed_tx
        game.lo_hash = pre_state_root
        game.hi_hash = disputed_root
        if disputed_tx == 1:
            game._isolate()
        game._claim_midpoint(Player.CHALLENGER, mid_hash, [])
        game.turn = Player.DEFENDER
        game.moves = 1
        return game

    def state(self) -> GameState:
        """The model as the :class:`GameState` ``getGame`` would return (clocks zero)."""
        return GameState(
            game_id=self.game_id,
            claim_id=ZERO_HASH,
            challenger="challenger",
            defender="defender",
            bond=0,
            status=self.status,
            level=self.level,
            turn=self.turn,
            hi_claimant=self.hi_claimant,
            mid_pending=self.mid_pending,
            resolution=self.resolution,
            last_move_at=0,
            challenger_clock_used=0,
            defender_clock_used=0,
            moves=self.moves,
            disputed_tx=self.disputed_tx,
            tx_index=self.tx_index,
            tx_count=self.tx_count,
            lo=self.lo,
            hi=self.hi,
            lo_hash=self.lo_hash,
            hi_hash=self.hi_hash,
            mid_hash=self.mid_hash,
            tx_roots_commitment=self.commitment,
            trace_context=ZERO_HASH,
        )

    def apply(self, player: Player, move: Answer | SubmitStep | ResolveTimeout) -> None:
        """Apply ``move`` sent by ``player`` (timeouts resolve against the player to move)."""
        if self.status is not GameStatus.IN_PROGRESS:
            raise ModelRevert("GameNotInProgress")
        if isinstance(move, Answer):
            self._answer(player, move)
        elif isinstance(move, SubmitStep):
            self._step(move.proof)
        else:
            self._resolve(self.turn.opponent, Resolution.TIMEOUT)

    def _answer(self, player: Player, move: Answer) -> None:
        if not self.mid_pending:
            raise ModelRevert("BisectionFinished")
        if player is not self.turn:
            raise ModelRevert("NotYourTurn")
        mid = self.lo + (self.hi - self.lo) // 2
        if move.agree:
            self.lo, self.lo_hash = mid, self.mid_hash
        else:
            self.hi, self.hi_hash, self.hi_claimant = mid, self.mid_hash, player.opponent
        self.mid_pending, self.mid_hash = False, ZERO_HASH
        if self.level is Level.TRANSACTIONS and self.hi - self.lo == 1:
            self._isolate()
        self._claim_midpoint(player, move.next_mid_hash, list(move.mid_root_proof))
        self.turn = player.opponent
        self.moves += 1

    def _isolate(self) -> None:
        # AlphabetVM binding: the trace's first and last states are the tx roots.
        self.level, self.tx_index = Level.STEPS, self.hi
        self.lo, self.hi = 0, 1 << self.step_depth

    def _claim_midpoint(self, player: Player, mid_hash: bytes, proof: list[bytes]) -> None:
        if self.hi - self.lo == 1:
            if mid_hash != ZERO_HASH:
                raise ModelRevert("UnexpectedMidpointClaim")
            if proof:
                raise ModelRevert("UnexpectedRootProof")
            return
        if mid_hash == ZERO_HASH:
            raise ModelRevert("ZeroStateHash")
        position = self.lo + (self.hi - self.lo) // 2
        if self.level is Level.TRANSACTIONS and player is Player.DEFENDER:
            if not merkle.verify(self.commitment, self.tx_count, position - 1, mid_hash, proof):
                raise ModelRevert("InvalidTxRootProof")
        elif proof:
            raise ModelRevert("UnexpectedRootProof")
        self.mid_hash, self.mid_pending = mid_hash, True

    def _step(self, proof: bytes) -> None:
        if self.level is not Level.STEPS or self.mid_pending or self.hi - self.lo != 1:
            raise ModelRevert("NotAwaitingStep")
        post = alphabet_step(self.lo_hash, proof)
        winner = self.hi_claimant if post == self.hi_hash else self.hi_claimant.opponent
        self.moves += 1
        self._resolve(winner, Resolution.STEP_PROOF)

    def _resolve(self, winner: Player, resolution: Resolution) -> None:
        self.status = (
            GameStatus.CHALLENGER_WON if winner is Player.CHALLENGER else GameStatus.DEFENDER_WON
        )
        self.resolution = resolution
        self.mid_pending = False
