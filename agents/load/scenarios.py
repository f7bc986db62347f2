"""What each load scenario deploys and which transactions it sends.

A :class:`Scenario` deploys its contract from the funder key (or the run reuses one
given with ``--contract``), optionally prepares the sender accounts (the ERC-20
scenario mints them tokens), and plans the calls of a run: a list of
:class:`PlannedCall` in send order, each naming the sender by index. Gas caps are
fixed per call (the first call of a wallet writes fresh storage, so caps are set above
that); the runner funds each sender for its calls at those caps.

Scenarios (the flash-layer use cases of the seeds, plus a plain token):

* ``nft-mint`` — ``FlashMint.mint(1)``: a free public mint with a supply and a
  per-wallet limit above what the run needs.
* ``ticketing`` — ``EventTickets.buy(tier)`` alternating two tiers, paying the price.
* ``game`` — ``RockPaperScissors`` matches between sender pairs: both commit, then
  both reveal (4 transactions a match, the reveals after every commit of the round).
* ``erc20`` — ``DevnetToken.transfer`` of 1 unit to the next sender.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from eth_abi import encode as abi_encode

from agents.l1.artifacts import ArtifactNotFoundError, load_artifact
from agents.load.chain import Chain, Fees, LoadError, to_int
from agents.load.signing import Signer, UnsignedTx, keccak


def selector(signature: str) -> bytes:
    return keccak(signature.encode())[:4]


def calldata(signature: str, types: list[str], args: list[object]) -> bytes:
    return selector(signature) + abi_encode(types, args)


@dataclass(frozen=True)
class PlannedCall:
    """One transaction of a run: who sends it, to which contract, with what."""

    sender: int
    data: bytes
    value: int
    gas: int


@dataclass(frozen=True)
class RunShape:
    """What a scenario needs to know about the run it plans for."""

    count: int
    accounts: int

    @property
    def per_account(self) -> int:
        return -(-self.count // self.accounts)


Deploy = Callable[[Chain, Signer, Fees, RunShape], str]
Prepare = Callable[[Chain, Signer, Fees, str, list[Signer]], None]
Plan = Callable[[RunShape, list[str], bytes], list[PlannedCall]]


@dataclass(frozen=True)
class Scenario:
    """A workload: deploy, prepare senders, plan calls."""

    name: str
    description: str
    deploy: Deploy
    plan: Plan
    prepare: Prepare | None = None
    min_accounts: int = 1
    even_accounts: bool = False


def deploy_artifact(
    chain: Chain, funder: Signer, fees: Fees, name: str, types: list[str], args: list[object]
) -> str:
    """Deploy forge artifact ``name`` with constructor ``args``; returns its address."""
    try:
        artifact = load_artifact(name)
    except ArtifactNotFoundError as error:
        raise LoadError(str(error)) from None
    init = artifact.bytecode + abi_encode(types, args)
    receipt = chain.transact(funder, None, init, fees=fees, what=f"deploying {name}")
    address = receipt.get("contractAddress")
    if not isinstance(address, str):
        raise LoadError(f"deploying {name}: the receipt names no contract address")
    return address


# -- nft-mint ----------------------------------------------------------------------------

MINT_GAS = 200_000


def _deploy_nft(chain: Chain, funder: Signer, fees: Fees, shape: RunShape) -> str:
    supply = max(10 * shape.count, 10_000)
    wallet_limit = max(10 * shape.per_account, 100)
    return deploy_artifact(
        chain,
        funder,
        fees,
        "FlashMint",
        ["string", "string", "string", "uint256", "uint256", "uint256", "address"],
        ["altrollup flash mint", "FLASH", "", supply, wallet_limit, 0, funder.address],
    )


def _plan_nft(shape: RunShape, senders: list[str], tag: bytes) -> list[PlannedCall]:
    data = calldata("mint(uint256)", ["uint256"], [1])
    return [PlannedCall(i % shape.accounts, data, 0, MINT_GAS) for i in range(shape.count)]


# -- ticketing -------------------------------------------------------------------------

TICKET_GAS = 260_000
TICKET_PRICES = (10**12, 2 * 10**12)  # wei, tier 0 and tier 1
EVENT_IN = 30 * 24 * 3600  # the event starts a month after deployment


def _deploy_tickets(chain: Chain, funder: Signer, fees: Fees, shape: RunShape) -> str:
    latest = chain.call("eth_getBlockByNumber", "latest", False)
    now = to_int(latest["timestamp"]) if isinstance(latest, dict) else 0
    start = now + EVENT_IN
    capacity = 2**32 - 1
    return deploy_artifact(
        chain,
        funder,
        fees,
        "EventTickets",
        ["string", "string", "address", "uint64", "uint64", "uint32", "uint128[]", "uint32[]"],
        [
            "altrollup flash fest",
            "TIX",
            funder.address,
            start,
            start + 24 * 3600,
            min(max(10 * shape.per_account, 100), capacity),
            list(TICKET_PRICES),
            [capacity, capacity],
        ],
    )


def _plan_tickets(shape: RunShape, senders: list[str], tag: bytes) -> list[PlannedCall]:
    calls = []
    for i in range(shape.count):
        tier = i % len(TICKET_PRICES)
        data = calldata("buy(uint256)", ["uint256"], [tier])
        calls.append(PlannedCall(i % shape.accounts, data, TICKET_PRICES[tier], TICKET_GAS))
    return calls


# -- game --------------------------------------------------------------------------------

COMMIT_GAS = 160_000
REVEAL_GAS = 200_000
REVEAL_WINDOW = 3600


def _deploy_game(chain: Chain, funder: Signer, fees: Fees, shape: RunShape) -> str:
    return deploy_artifact(chain, funder, fees, "RockPaperScissors", ["uint64"], [REVEAL_WINDOW])


def commitment(match_id: bytes, player: str, move: int, salt: bytes) -> bytes:
    """``RockPaperScissors.commitmentOf``."""
    return keccak(
        abi_encode(["bytes32", "address", "uint8", "bytes32"], [match_id, player, move, salt])
    )


def _plan_game(shape: RunShape, senders: list[str], tag: bytes) -> list[PlannedCall]:
    pairs = shape.accounts // 2
    rounds = -(-shape.count // (4 * pairs))
    calls: list[PlannedCall] = []
    for round_number in range(rounds):
        reveals: list[PlannedCall] = []
        for pair in range(pairs):
            match_id = keccak(tag + pair.to_bytes(4, "big") + round_number.to_bytes(4, "big"))
            for seat in (0, 1):
                sender = 2 * pair + seat
                move = 1 + (pair + round_number + seat) % 3
                salt = keccak(match_id + bytes([seat]))
                commit = calldata(
                    "commit(bytes32,bytes32)",
                    ["bytes32", "bytes32"],
                    [match_id, commitment(match_id, senders[sender], move, salt)],
                )
                calls.append(PlannedCall(sender, commit, 0, COMMIT_GAS))
                reveal = calldata(
                    "reveal(bytes32,uint8,bytes32)",
                    ["bytes32", "uint8", "bytes32"],
                    [match_id, move, salt],
                )
                reveals.append(PlannedCall(sender, reveal, 0, REVEAL_GAS))
        calls.extend(reveals)
    return calls


# -- erc20 -------------------------------------------------------------------------------

TRANSFER_GAS = 100_000
MINT_TOKENS_GAS = 120_000
SENDER_TOKENS = 10**24


def _deploy_token(chain: Chain, funder: Signer, fees: Fees, shape: RunShape) -> str:
    return deploy_artifact(
        chain, funder, fees, "DevnetToken", ["string", "string"], ["altrollup load token", "LOAD"]
    )


def _prepare_token(
    chain: Chain, funder: Signer, fees: Fees, token: str, senders: list[Signer]
) -> None:
    """Mint every sender its tokens (one batch of faucet mints)."""
    (nonce,) = chain.nonces([funder.address])
    chain_id = chain.chain_id()
    to = bytes.fromhex(token[2:])
    signed = [
        funder.sign(
            UnsignedTx(
                chain_id,
                nonce + i,
                fees.max_priority_fee_per_gas,
                fees.max_fee_per_gas,
                MINT_TOKENS_GAS,
                to,
                0,
                calldata(
                    "mint(address,uint256)", ["address", "uint256"], [s.address, SENDER_TOKENS]
                ),
            )
        )
        for i, s in enumerate(senders)
    ]
    answers = chain.batch([("eth_sendRawTransaction", ["0x" + tx.raw.hex()]) for tx in signed])
    for answer in answers:
        if "error" in answer:
            raise LoadError(
                f"minting tokens to the senders failed: {answer['error'].get('message')}"
            )
    for tx in signed:
        if to_int(chain.wait_receipt(tx.tx_hash).get("status", "0x1")) != 1:
            raise LoadError(
                f"minting tokens reverted (tx 0x{tx.tx_hash.hex()}): is the key the faucet?"
            )


def _plan_token(shape: RunShape, senders: list[str], tag: bytes) -> list[PlannedCall]:
    calls = []
    for i in range(shape.count):
        sender = i % shape.accounts
        to = senders[(sender + 1) % len(senders)]
        data = calldata("transfer(address,uint256)", ["address", "uint256"], [to, 1])
        calls.append(PlannedCall(sender, data, 0, TRANSFER_GAS))
    return calls


SCENARIOS: dict[str, Scenario] = {
    "nft-mint": Scenario("nft-mint", "FlashMint.mint(1), a free NFT mint", _deploy_nft, _plan_nft),
    "ticketing": Scenario(
        "ticketing",
        "EventTickets.buy(tier), paid tickets in two tiers",
        _deploy_tickets,
        _plan_tickets,
    ),
    "game": Scenario(
        "game",
        "RockPaperScissors commit/reveal matches between sender pairs",
        _deploy_game,
        _plan_game,
        min_accounts=2,
        even_accounts=True,
    ),
    "erc20": Scenario(
        "erc20", "ERC-20 transfers between senders", _deploy_token, _plan_token, _prepare_token
    ),
}


def run_tag() -> bytes:
    """Random bytes that keep a run's match ids apart from earlier runs'."""
    return os.urandom(16)
