"""The responder: sends the solver's moves to the DisputeGame contract through L1Client.

Decisions come from :mod:`agents.dispute.solver`; this module only turns a move into a
contract call, sends it from the player's account, and writes one structured log line
per action (logger ``altrollup.dispute``, message = JSON with ``action``, ``game``,
``tx``, ``gas`` and the move's arguments). Dependencies are passed in: the client, the
bound contract, the signing account and a clock (``now()`` -> L1 seconds), so tests can
drive it against anvil with a fake clock.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError
from web3.logs import DISCARD
from web3.types import TxParams, TxReceipt, Wei

from agents.dispute.game import GameConfig, GameState, Player, read_config, read_game
from agents.dispute.solver import Answer, Move, OpenGame, ResolveTimeout, SubmitStep, solve
from agents.dispute.trace import TraceProvider
from agents.l1.client import L1Client

LOG = logging.getLogger("altrollup.dispute")

#: Headroom over the node's gas estimate: on anvil a move whose estimate was taken
#: against the previous block was seen to run out of gas (limit = estimate = used), so
#: moves are sent with 25% + 25,000 gas on top of the estimate.
GAS_HEADROOM_NUMERATOR = 5
GAS_HEADROOM_DENOMINATOR = 4
GAS_HEADROOM_FLAT = 25_000

Clock = Callable[[], int]


def l1_clock(client: L1Client) -> Clock:
    """A clock reading the timestamp of the L1's latest block."""
    return lambda: int(client.w3.eth.get_block("latest")["timestamp"])


@dataclass
class Responder:
    """One player's connection to one DisputeGame contract."""

    client: L1Client
    contract: Contract
    account: LocalAccount
    clock: Clock
    log: logging.Logger = field(default=LOG)

    @property
    def address(self) -> str:
        return self.account.address


def transact_with_headroom(
    client: L1Client, call: Any, account: LocalAccount, value: int = 0
) -> TxReceipt:
    """Send ``call`` like :meth:`L1Client.transact`, with gas headroom over the estimate.

    A call that would revert is handed to ``L1Client.transact``, which raises
    ``TransactionReverted`` with the decoded custom error.
    """
    params: TxParams = {"from": account.address, "value": Wei(value)}
    try:
        estimate = int(call.estimate_gas(params))
    except (ContractCustomError, ContractLogicError, ContractPanicError):
        return client.transact(call, account, value=value)
    gas = estimate * GAS_HEADROOM_NUMERATOR // GAS_HEADROOM_DENOMINATOR + GAS_HEADROOM_FLAT
    tx = call.build_transaction({**params, "gas": gas})
    # L1Client has no public "send with this gas limit"; its sender keeps the nonce
    # manager and the decoded on-chain reverts.
    return client._sign_and_send(tx, account)  # noqa: SLF001


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _log(
    responder: Responder, action: str, game_id: int | None, receipt: TxReceipt, **details: object
) -> None:
    record = {
        "action": action,
        "game": game_id,
        "player": responder.address,
        "tx": _hex(bytes(receipt["transactionHash"])),
        "gas": int(receipt["gasUsed"]),
        **details,
    }
    responder.log.info(json.dumps(record, sort_keys=True))


def open_game(responder: Responder, move: OpenGame, bond: int) -> tuple[int, TxReceipt]:
    """Send ``createGame`` with ``bond``; returns the new game id and the receipt."""
    call = responder.contract.functions.createGame(
        move.claim_id, move.disputed_tx, move.disputed_root, list(move.root_proof), move.mid_hash
    )
    receipt = transact_with_headroom(responder.client, call, responder.account, value=bond)
    events = responder.contract.events.GameCreated().process_receipt(receipt, errors=DISCARD)
    game_id = int(events[0]["args"]["gameId"])
    _log(
        responder,
        "open",
        game_id,
        receipt,
        claim=_hex(move.claim_id),
        disputed_tx=move.disputed_tx,
        mid=_hex(move.mid_hash),
    )
    return game_id, receipt


def send_move(responder: Responder, move: Move) -> TxReceipt:
    """Send one move; raises ``TransactionReverted`` with the decoded error on revert."""
    functions = responder.contract.functions
    if isinstance(move, Answer):
        call = functions.move(
            move.game_id, move.agree, move.next_mid_hash, list(move.mid_root_proof)
        )
        receipt = transact_with_headroom(responder.client, call, responder.account)
        _log(
            responder,
            "answer",
            move.game_id,
            receipt,
            agree=move.agree,
            mid=_hex(move.next_mid_hash),
            proof_len=len(move.mid_root_proof),
        )
    elif isinstance(move, SubmitStep):
        receipt = transact_with_headroom(
            responder.client, functions.step(move.game_id, move.proof), responder.account
        )
        _log(responder, "step", move.game_id, receipt, proof_len=len(move.proof))
    elif isinstance(move, ResolveTimeout):
        receipt = transact_with_headroom(
            responder.client, functions.resolveTimeout(move.game_id), responder.account
        )
        _log(responder, "resolve-timeout", move.game_id, receipt)
    else:  # pragma: no cover - Move is a closed union
        raise TypeError(f"unknown move {move!r}")
    return receipt


def send_moves(responder: Responder, moves: Sequence[Move]) -> list[TxReceipt]:
    """Send ``moves`` in order."""
    return [send_move(responder, move) for move in moves]


def respond_once(
    responder: Responder,
    game_id: int,
    me: Player,
    trace: TraceProvider,
    config: GameConfig | None = None,
) -> tuple[GameState, list[TxReceipt]]:
    """Read game ``game_id``, decide with the honest solver, send the moves."""
    config = config or read_config(responder.contract)
    state = read_game(responder.contract, game_id)
    moves = solve(state, config, me, trace, responder.clock())
    return state, send_moves(responder, moves)


def claim_credit(responder: Responder) -> TxReceipt | None:
    """Withdraw the account's credit, if any."""
    amount = int(responder.contract.functions.credit(responder.address).call())
    if amount == 0:
        return None
    receipt = transact_with_headroom(
        responder.client, responder.contract.functions.claimCredit(), responder.account
    )
    _log(responder, "claim-credit", None, receipt, amount=amount)
    return receipt
