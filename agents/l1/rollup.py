"""Typed binding for ``contracts/Rollup.sol`` and :func:`deploy_rollup`.

:class:`RollupContract` wraps one deployed Rollup over an
:class:`~agents.l1.client.L1Client`: posting packs with calldata DA
(:meth:`~RollupContract.post_pack`) or with EIP-4844 blobs
(:meth:`~RollupContract.post_pack_with_blobs`), affirming, rejecting, finalizing,
invalidating, and the views agents read (head, last finalized pack, pack info, tiers of
packs and of L2 blocks). Failures raise :class:`~agents.l1.client.TransactionReverted`
carrying the contract's named error.

:func:`build_pack` turns per-transaction state roots into a header plus the proof that
the final root is the last leaf; :func:`trace_context` and :func:`claim_id` mirror the
contract's dispute-facing values.

Because the DisputeGame names its claim source (the Rollup) immutably and the Rollup
checks that at construction, :func:`deploy_rollup` deploys the game first at the
Rollup's predicted address (the deployer's next nonce but one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import rlp
from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError
from web3.logs import DISCARD
from web3.types import TxReceipt

from agents.dispute import merkle
from agents.l1.artifacts import load_artifact
from agents.l1.blobs import BlobSidecar, sign_blob_transaction
from agents.l1.client import L1Client, L1Error, TransactionReverted, _revert_data
from agents.l1.errors import decode_revert

ETH = "0x0000000000000000000000000000000000000000"


class Tier(IntEnum):
    """``Tier`` in ``contracts/interfaces/IRollup.sol``."""

    POSTED = 0
    EXECUTION_FINAL = 1  # tier 1 lives with the producers; never returned by the L1
    VERIFICATION_FINAL = 2
    ROLLUP_FINAL = 3
    INVALID = 4


class DaKind(IntEnum):
    """``DaKind``: where a pack's transaction data is."""

    CALLDATA = 0
    BLOBS = 1


class Vote(IntEnum):
    """``Vote``: a verifier's vote on a pack."""

    NONE = 0
    AFFIRMED = 1
    REJECTED = 2


# -- pack format -----------------------------------------------------------------------


@dataclass(frozen=True)
class PackHeader:
    """What a verifier posts (``PackHeader`` in Solidity)."""

    parent_id: int
    first_block: int
    last_block: int
    tx_count: int
    tx_roots_commitment: bytes
    state_root: bytes

    def as_abi(self) -> tuple[int, int, int, int, bytes, bytes]:
        return (
            self.parent_id,
            self.first_block,
            self.last_block,
            self.tx_count,
            self.tx_roots_commitment,
            self.state_root,
        )


@dataclass(frozen=True)
class BuiltPack:
    """A header with the proof that its state root is the last per-transaction root."""

    header: PackHeader
    state_root_proof: list[bytes]
    tx_roots: tuple[bytes, ...]


def build_pack(
    parent_id: int, first_block: int, last_block: int, tx_roots: Sequence[bytes], parent_root: bytes
) -> BuiltPack:
    """The header of a pack over blocks ``first_block..last_block`` whose transactions
    leave the state roots ``tx_roots`` (r_1 .. r_n); an empty ``tx_roots`` builds an empty
    pack, which keeps ``parent_root``."""
    roots = tuple(bytes(r) for r in tx_roots)
    if not roots:
        header = PackHeader(parent_id, first_block, last_block, 0, bytes(32), bytes(parent_root))
        return BuiltPack(header, [], roots)
    header = PackHeader(
        parent_id=parent_id,
        first_block=first_block,
        last_block=last_block,
        tx_count=len(roots),
        tx_roots_commitment=merkle.commitment(roots),
        state_root=roots[-1],
    )
    return BuiltPack(header, merkle.proof(roots, len(roots) - 1), roots)


def claim_id(pack_id: int) -> bytes:
    """The DisputeGame claim id of pack ``pack_id``: ``bytes32(packId)``."""
    return pack_id.to_bytes(32, "big")


def calldata_commitment(data: bytes) -> bytes:
    """DA commitment of calldata DA: keccak256(data)."""
    return keccak(data)


def blob_commitment(versioned_hashes: Sequence[bytes]) -> bytes:
    """DA commitment of blob DA: keccak256(abi.encodePacked(versionedHashes))."""
    return keccak(b"".join(bytes(h) for h in versioned_hashes))


def trace_context(
    chain_id: int, first_block: int, last_block: int, da_kind: DaKind, da_commitment: bytes
) -> bytes:
    """``Rollup.traceContextOf``: keccak256(abi.encode(L2_CHAIN_ID, firstBlock, lastBlock,
    daKind, daCommitment))."""
    return keccak(
        abi_encode(
            ["uint256", "uint64", "uint64", "uint8", "bytes32"],
            [chain_id, first_block, last_block, int(da_kind), da_commitment],
        )
    )


# -- views -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pack:
    """A stored pack (``Pack`` in Solidity) with its id."""

    pack_id: int
    parent_id: int
    height: int
    first_block: int
    last_block: int
    tx_count: int
    posted_at: int
    challenge_deadline: int
    affirmations: int
    rejections: int
    poster: str
    da_kind: DaKind
    state_root: bytes
    tx_roots_commitment: bytes
    da_commitment: bytes

    @classmethod
    def from_abi(cls, pack_id: int, raw: Sequence[Any]) -> Pack:
        return cls(
            pack_id,
            int(raw[0]),
            int(raw[1]),
            int(raw[2]),
            int(raw[3]),
            int(raw[4]),
            int(raw[5]),
            int(raw[6]),
            int(raw[7]),
            int(raw[8]),
            str(raw[9]),
            DaKind(int(raw[10])),
            bytes(raw[11]),
            bytes(raw[12]),
            bytes(raw[13]),
        )


@dataclass(frozen=True)
class PackInfo:
    """``Rollup.packInfo``: the pack, its tier and its dispute-facing values."""

    pack: Pack
    tier: Tier
    pre_state_root: bytes
    trace_context: bytes
    claim_id: bytes


@dataclass(frozen=True)
class PostedPack:
    """The result of posting a pack."""

    pack_id: int
    receipt: TxReceipt
    sidecar: BlobSidecar | None = None


@dataclass
class RollupContract:
    """Typed access to a deployed ``Rollup``."""

    client: L1Client
    contract: Contract

    @property
    def address(self) -> str:
        return str(self.contract.address)

    @classmethod
    def at(cls, client: L1Client, address: str) -> RollupContract:
        return cls(client, client.contract("Rollup", address))

    # -- actions ---------------------------------------------------------------------

    def post_pack(self, poster: LocalAccount, pack: BuiltPack, data: bytes) -> PostedPack:
        """Post ``pack`` with its transaction ``data`` in calldata."""
        fn = self.contract.functions.postPack(pack.header.as_abi(), pack.state_root_proof, data)
        receipt = self.client.transact(fn, poster)
        return PostedPack(self._posted_id(receipt), receipt)

    def post_pack_with_blobs(
        self,
        poster: LocalAccount,
        pack: BuiltPack,
        data: bytes | None = None,
        *,
        sidecar: BlobSidecar | None = None,
        max_fee_per_blob_gas: int | None = None,
    ) -> PostedPack:
        """Post ``pack`` in a type-3 transaction whose blobs carry ``data`` (or the given
        ``sidecar``); the contract commits to the blobs' versioned hashes."""
        if sidecar is None:
            if data is None:
                raise ValueError("give the pack data or a prepared sidecar")
            sidecar = BlobSidecar.for_data(data)
        fn = self.contract.functions.postPackWithBlobs(pack.header.as_abi(), pack.state_root_proof)
        receipt = self._send_blob_tx(fn, poster, sidecar, max_fee_per_blob_gas)
        return PostedPack(self._posted_id(receipt), receipt, sidecar)

    def affirm(self, verifier: LocalAccount, pack_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.affirm(pack_id), verifier)

    def reject(self, verifier: LocalAccount, pack_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.reject(pack_id), verifier)

    def finalize(self, sender: LocalAccount, pack_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.finalize(pack_id), sender)

    def finalize_ready(self, sender: LocalAccount, limit: int = 64) -> list[int]:
        """Finalize, in order, every pending pack that may be finalized now."""
        done: list[int] = []
        while len(done) < limit and self.finalized_height() < self.head_height():
            nxt = self.pack_at_height(self.finalized_height() + 1)
            if not self.can_finalize(nxt):
                break
            self.finalize(sender, nxt)
            done.append(nxt)
        return done

    def invalidate(self, sender: LocalAccount, pack_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.invalidate(pack_id), sender)

    # -- views -----------------------------------------------------------------------

    def _call(self, name: str, *args: Any) -> Any:
        return self.client.call(getattr(self.contract.functions, name)(*args))

    def head(self) -> int:
        return int(self._call("head"))

    def head_height(self) -> int:
        return int(self._call("headHeight"))

    def last_finalized(self) -> int:
        return int(self._call("lastFinalized"))

    def finalized_height(self) -> int:
        return int(self._call("finalizedHeight"))

    def pack_count(self) -> int:
        return int(self._call("packCount"))

    def pack_at_height(self, height: int) -> int:
        return int(self._call("packAtHeight", height))

    def valid_chain(self) -> list[int]:
        """Pack ids of the valid chain, genesis (0) first."""
        return [self.pack_at_height(h) for h in range(self.head_height() + 1)]

    def pack(self, pack_id: int) -> Pack:
        return Pack.from_abi(pack_id, self._call("getPack", pack_id))

    def pack_info(self, pack_id: int) -> PackInfo:
        raw = self._call("packInfo", pack_id)
        return PackInfo(
            pack=Pack.from_abi(pack_id, raw[0]),
            tier=Tier(int(raw[1])),
            pre_state_root=bytes(raw[2]),
            trace_context=bytes(raw[3]),
            claim_id=bytes(raw[4]),
        )

    def tier_of(self, pack_id: int) -> Tier:
        return Tier(int(self._call("tierOf", pack_id)))

    def tier_of_block(self, block_number: int) -> tuple[Tier, int] | None:
        """``(tier, covering pack)`` of L2 block ``block_number`` on the valid chain, or
        None when the valid chain does not cover it yet."""
        try:
            tier, pack_id = self._call("tierOfBlock", block_number)
        except TransactionReverted as error:
            if error.reason.name == "BlockNotPosted":
                return None
            raise
        return Tier(int(tier)), int(pack_id)

    def state_root_at(self, pack_id: int) -> bytes:
        return bytes(self._call("stateRootAt", pack_id))

    def head_state(self) -> tuple[int, bytes, int]:
        """``(head pack, its state root, its last L2 block)``: where agents rebuild from."""
        head = self.pack(self.head())
        return head.pack_id, head.state_root, head.last_block

    def votes_of(self, pack_id: int) -> tuple[int, int]:
        affirmations, rejections = self._call("votesOf", pack_id)
        return int(affirmations), int(rejections)

    def vote_of(self, pack_id: int, verifier: str) -> Vote:
        return Vote(int(self._call("voteOf", pack_id, Web3.to_checksum_address(verifier))))

    def can_finalize(self, pack_id: int) -> bool:
        return bool(self._call("canFinalize", pack_id))

    def is_valid(self, pack_id: int) -> bool:
        return bool(self._call("isValid", pack_id))

    def is_eligible_verifier(self, account: str) -> bool:
        return bool(self._call("isEligibleVerifier", Web3.to_checksum_address(account)))

    def trace_context_of(self, pack_id: int) -> bytes:
        return bytes(self._call("traceContextOf", pack_id))

    def disputed_claim(self, pack_id: int) -> tuple[Any, ...]:
        """The ``DisputedClaim`` the game reads for pack ``pack_id``."""
        return tuple(self._call("disputedClaim", claim_id(pack_id)))

    def l2_chain_id(self) -> int:
        return int(self._call("L2_CHAIN_ID"))

    def challenge_window(self) -> int:
        return int(self._call("CHALLENGE_WINDOW"))

    def dispute_game(self) -> str:
        return str(self._call("DISPUTE_GAME"))

    # -- events ----------------------------------------------------------------------

    def posted_event(self, pack_id: int, from_block: int = 0) -> Any:
        """The ``PackPosted`` log of ``pack_id`` (with the posting transaction's hash)."""
        logs = self.contract.events.PackPosted().get_logs(
            from_block=from_block, argument_filters={"packId": pack_id}
        )
        if not logs:
            raise L1Error(f"no PackPosted log for pack {pack_id}")
        return logs[-1]

    def calldata_of(self, pack_id: int, from_block: int = 0) -> bytes:
        """The transaction data of calldata-DA pack ``pack_id``, read back from L1."""
        log = self.posted_event(pack_id, from_block)
        tx = self.client.w3.eth.get_transaction(log["transactionHash"])
        _, args = self.contract.decode_function_input(tx["input"])
        return bytes(args["data"])

    # -- internals -------------------------------------------------------------------

    def _posted_id(self, receipt: TxReceipt) -> int:
        events = self.contract.events.PackPosted().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise L1Error("the transaction posted no pack")
        return int(events[0]["args"]["packId"])

    def _send_blob_tx(
        self, fn: Any, sender: LocalAccount, sidecar: BlobSidecar, max_fee_per_blob_gas: int | None
    ) -> TxReceipt:
        client = self.client
        w3 = client.w3
        data = fn._encode_transaction_data()
        hashes = [HexBytes(h) for h in sidecar.versioned_hashes]
        block = w3.eth.get_block("latest")
        base_fee = int(block.get("baseFeePerGas", 0) or 0)
        if max_fee_per_blob_gas is None:
            blob_base_fee = int(w3.eth.blob_base_fee) if hasattr(w3.eth, "blob_base_fee") else 1
            max_fee_per_blob_gas = 2 * blob_base_fee + 1
        call = {
            "from": sender.address,
            "to": self.contract.address,
            "data": data,
            "blobVersionedHashes": hashes,
            "maxFeePerBlobGas": max_fee_per_blob_gas,
        }
        try:
            estimated = int(w3.eth.estimate_gas(call))  # type: ignore[arg-type]
        except (ContractCustomError, ContractLogicError, ContractPanicError) as error:
            raise TransactionReverted(decode_revert(_revert_data(error))) from None
        gas = min(int(block["gasLimit"]), int(estimated * client.gas_headroom) + client.gas_extra)
        tx: dict[str, Any] = {
            "chainId": client.chain_id,
            "to": self.contract.address,
            "value": 0,
            "data": data,
            "gas": gas,
            "maxPriorityFeePerGas": Web3.to_wei(1, "gwei"),
            "maxFeePerGas": 2 * base_fee + Web3.to_wei(1, "gwei"),
            "maxFeePerBlobGas": max_fee_per_blob_gas,
            "nonce": client.nonces.reserve(sender.address),
        }
        raw = sign_blob_transaction(tx, sidecar, sender)
        try:
            tx_hash = w3.eth.send_raw_transaction(raw)
        except Exception:
            client.nonces.resync(sender.address)
            raise
        receipt = client.wait_for_receipt(tx_hash)
        if receipt["status"] != 1:
            try:
                w3.eth.call(call, receipt["blockNumber"] - 1)  # type: ignore[arg-type]
                reason = decode_revert(b"")
            except (ContractCustomError, ContractLogicError, ContractPanicError) as error:
                reason = decode_revert(_revert_data(error))
            raise TransactionReverted(reason, bytes(tx_hash))
        return receipt


# -- deployment ------------------------------------------------------------------------


@dataclass(frozen=True)
class RollupParams:
    """Rollup configuration (``RollupConfig`` minus the collaborators)."""

    genesis_state_root: bytes
    challenge_window: int = 600
    affirmation_quorum: int = 1
    finality_requires_quorum: bool = False
    stake_token: str = ETH
    min_verifier_stake: int = 10**18


@dataclass(frozen=True)
class GameParams:
    """DisputeGame configuration (``DisputeGameConfig`` minus the claim source and the
    registry, which :func:`deploy_rollup` fills in)."""

    step_verifier: str
    trace_binding: str
    step_depth: int
    challenger_clock: int = 3600
    defender_clock: int = 3600
    challenger_bond: int = 10**17
    slash_token: str = ETH
    slash_amount: int = 10**18


@dataclass
class RollupDeployment:
    """A deployed Rollup and the DisputeGame arbitrating it."""

    rollup: RollupContract
    game: Contract


def create_address(deployer: str, nonce: int) -> str:
    """The address a CREATE from ``deployer`` at ``nonce`` deploys to."""
    encoded = rlp.encode([bytes.fromhex(deployer[2:]), nonce])
    return Web3.to_checksum_address(keccak(encoded)[12:])


def deploy_rollup(
    client: L1Client,
    deployer: LocalAccount,
    *,
    execution_layer_registry: str,
    rollup_id: int,
    sequencer_registry: str,
    params: RollupParams,
    game: GameParams,
    registry_owner: LocalAccount | None = None,
) -> RollupDeployment:
    """Deploy the DisputeGame (naming the Rollup's predicted address as its claim source)
    and then the Rollup; with ``registry_owner``, authorize the game to slash in the
    SequencerRegistry. ``deployer`` must not send anything else meanwhile."""
    client.nonces.resync(deployer.address)
    nonce = client.w3.eth.get_transaction_count(deployer.address, "pending")
    predicted = create_address(deployer.address, nonce + 1)
    game_config = (
        predicted,
        Web3.to_checksum_address(game.step_verifier),
        Web3.to_checksum_address(game.trace_binding),
        Web3.to_checksum_address(sequencer_registry),
        game.step_depth,
        game.challenger_clock,
        game.defender_clock,
        game.challenger_bond,
        Web3.to_checksum_address(game.slash_token),
        game.slash_amount,
    )
    game_contract = client.deploy(load_artifact("DisputeGame"), deployer, game_config)
    rollup_config = (
        Web3.to_checksum_address(execution_layer_registry),
        rollup_id,
        Web3.to_checksum_address(sequencer_registry),
        game_contract.address,
        params.challenge_window,
        params.affirmation_quorum,
        params.finality_requires_quorum,
        Web3.to_checksum_address(params.stake_token),
        params.min_verifier_stake,
        params.genesis_state_root,
    )
    rollup_contract = client.deploy(load_artifact("Rollup"), deployer, rollup_config)
    if rollup_contract.address != predicted:
        raise L1Error(
            f"Rollup deployed at {rollup_contract.address}, not at the predicted {predicted}: "
            "the deployer sent another transaction in between"
        )
    if registry_owner is not None:
        registry = client.contract("SequencerRegistry", sequencer_registry)
        client.transact(registry.functions.authorizeSlasher(game_contract.address), registry_owner)
    return RollupDeployment(RollupContract(client, rollup_contract), game_contract)
