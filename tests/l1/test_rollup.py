"""The Rollup contract on a real anvil (Cancun): packs with calldata DA and with real
EIP-4844 blobs, affirmations to tier 2, time travel to tier 3, and a wrong pack that
loses a real DisputeGame (AlphabetVM), is invalidated with every later pack, and takes
the head back to the last valid pack."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.logs import DISCARD

from agents.dispute.game import Player, read_config, read_game
from agents.dispute.responder import Responder, l1_clock, open_game, respond_once
from agents.dispute.solver import ClaimView, plan_challenge
from agents.dispute.trace import AlphabetTraceProvider
from agents.l1 import blobs
from agents.l1.artifacts import load_artifact
from agents.l1.client import L1Client, TransactionReverted
from agents.l1.registries import ETH, SettlementContracts
from agents.l1.rollup import (
    BuiltPack,
    DaKind,
    GameParams,
    RollupContract,
    RollupDeployment,
    RollupParams,
    Tier,
    Vote,
    blob_commitment,
    build_pack,
    calldata_commitment,
    claim_id,
    create_address,
    deploy_rollup,
    trace_context,
)
from agents.l1.testing import bootstrap_active_rollup

pytestmark = pytest.mark.xdist_group("rollup")

ETHER = 10**18
STEP_DEPTH = 3
WINDOW = 600
TXS = 4  # transactions per pack in these tests


# -- fixtures ---------------------------------------------------------------------------


@dataclass
class Env:
    client: L1Client
    owner: LocalAccount
    verifiers: list[LocalAccount]
    challenger: LocalAccount
    settlement: SettlementContracts
    rollup_id: int
    chain_id: int
    alphabet: Contract


@pytest.fixture(scope="module")
def env(l1: L1Client, funded_keys: list[str]) -> Env:
    owner = Account.from_key(funded_keys[0])
    verifiers = [Account.from_key(key) for key in funded_keys[1:5]]
    active = bootstrap_active_rollup(
        l1,
        owner,
        verifiers,
        Account.from_key(funded_keys[9]),
        endpoint_port_base=9100,
        vrf_seed=b"rollup test validator",
    )
    settlement, rollup_id, chain_id = active.settlement, active.rollup_id, active.chain_id
    alphabet = l1.deploy(load_artifact("AlphabetVM"), owner)
    return Env(
        client=l1,
        owner=owner,
        verifiers=verifiers,
        challenger=Account.from_key(funded_keys[5]),
        settlement=settlement,
        rollup_id=rollup_id,
        chain_id=chain_id,
        alphabet=alphabet,
    )


TRUTH = AlphabetTraceProvider(tx_count=4 * TXS, step_depth=STEP_DEPTH)


@pytest.fixture
def deployed(env: Env) -> Iterator[RollupDeployment]:
    """A fresh Rollup + DisputeGame per test (genesis = the AlphabetVM trace's start)."""
    yield deploy_rollup(
        env.client,
        env.owner,
        execution_layer_registry=env.settlement.execution_layer_registry.address,
        rollup_id=env.rollup_id,
        sequencer_registry=env.settlement.sequencer_registry.address,
        params=RollupParams(
            genesis_state_root=TRUTH.tx_root(0),
            challenge_window=WINDOW,
            affirmation_quorum=2,
            min_verifier_stake=10 * ETHER,
        ),
        game=GameParams(
            step_verifier=env.alphabet.address,
            trace_binding=env.alphabet.address,
            step_depth=STEP_DEPTH,
            challenger_clock=3600,
            defender_clock=3600,
            challenger_bond=ETHER // 10,
            slash_amount=ETHER,
        ),
        registry_owner=env.owner,
    )


# -- helpers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PackWindow:
    """Transactions ``offset + 1 .. offset + tx_count`` of ``base`` seen as one pack
    (the :class:`~agents.dispute.trace.TraceProvider` protocol)."""

    base: AlphabetTraceProvider
    offset: int
    tx_count: int

    @property
    def step_depth(self) -> int:
        return self.base.step_depth

    def tx_root(self, tx_index: int) -> bytes:
        return self.base.tx_root(self.offset + tx_index)

    def tx_roots(self) -> list[bytes]:
        return [self.tx_root(i) for i in range(1, self.tx_count + 1)]

    def step_state(self, tx_index: int, step: int) -> bytes:
        return self.base.step_state(self.offset + tx_index, step)

    def step_proof(self, tx_index: int, step: int) -> bytes:
        return self.base.step_proof(self.offset + tx_index, step)


def advance(client: L1Client, seconds: int) -> None:
    client.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    client.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def next_pack(rollup: RollupContract, window: PackWindow, blocks: int = 2) -> BuiltPack:
    head_id, head_root, last_block = rollup.head_state()
    assert head_root == window.tx_root(0), "the window starts at the head's state"
    return build_pack(head_id, last_block + 1, last_block + blocks, window.tx_roots(), head_root)


def tx_data(tag: str, size: int = 300) -> bytes:
    """Stand-in for a pack's encoded transactions."""
    seed = tag.encode()
    return (seed * (size // len(seed) + 1))[:size]


# -- tests ------------------------------------------------------------------------------


def test_deploy_rollup_wires_game_and_views(env: Env, deployed: RollupDeployment) -> None:
    rollup = deployed.rollup
    assert rollup.dispute_game() == deployed.game.address
    assert deployed.game.functions.CLAIMS().call() == rollup.address
    assert rollup.l2_chain_id() == env.chain_id
    assert rollup.challenge_window() == WINDOW
    assert rollup.head() == 0 and rollup.last_finalized() == 0
    assert rollup.tier_of(0) is Tier.ROLLUP_FINAL
    assert rollup.tier_of_block(0) == (Tier.ROLLUP_FINAL, 0)
    assert rollup.tier_of_block(1) is None
    assert rollup.state_root_at(0) == TRUTH.tx_root(0)
    assert all(rollup.is_eligible_verifier(v.address) for v in env.verifiers)
    assert not rollup.is_eligible_verifier(env.challenger.address)
    registry = env.settlement.sequencer_registry.contract
    assert registry.functions.isSlasher(deployed.game.address).call()


def test_calldata_pack_tier2_then_tier3(env: Env, deployed: RollupDeployment) -> None:
    rollup = deployed.rollup
    client = env.client
    v1, v2, v3, _ = env.verifiers
    pack = next_pack(rollup, PackWindow(TRUTH, 0, TXS), blocks=3)
    data = tx_data("calldata pack 1")
    posted = rollup.post_pack(v1, pack, data)
    assert posted.pack_id == 1
    info = rollup.pack_info(1)
    assert info.tier is Tier.POSTED
    assert info.pack.da_kind is DaKind.CALLDATA
    assert info.pack.da_commitment == calldata_commitment(data)
    assert info.pack.state_root == TRUTH.tx_root(TXS)
    assert info.pre_state_root == TRUTH.tx_root(0)
    assert info.claim_id == claim_id(1)
    assert info.trace_context == trace_context(
        env.chain_id, 1, 3, DaKind.CALLDATA, calldata_commitment(data)
    )
    assert rollup.calldata_of(1) == data, "the data is on L1"
    claim = rollup.disputed_claim(1)
    assert claim[0] == v1.address and claim[3] == TXS

    # The poster cannot affirm itself; two others make the quorum.
    with pytest.raises(TransactionReverted) as failure:
        rollup.affirm(v1, 1)
    assert failure.value.reason.name == "PosterCannotVote"
    rollup.affirm(v2, 1)
    assert rollup.tier_of(1) is Tier.POSTED
    rollup.reject(env.verifiers[3], 1)
    rollup.affirm(v3, 1)
    assert rollup.tier_of(1) is Tier.VERIFICATION_FINAL
    assert rollup.votes_of(1) == (2, 1)
    assert rollup.vote_of(1, v2.address) is Vote.AFFIRMED
    assert rollup.tier_of_block(2) == (Tier.VERIFICATION_FINAL, 1)

    # Tier 3 only after the challenge window.
    with pytest.raises(TransactionReverted) as failure:
        rollup.finalize(env.challenger, 1)
    assert failure.value.reason.name == "ChallengeWindowOpen"
    advance(client, WINDOW)
    assert rollup.can_finalize(1)
    assert rollup.finalize_ready(env.challenger) == [1]
    assert rollup.tier_of(1) is Tier.ROLLUP_FINAL
    assert rollup.last_finalized() == 1
    assert rollup.tier_of_block(3) == (Tier.ROLLUP_FINAL, 1)


def test_blob_pack_with_real_eip4844_blobs(env: Env, deployed: RollupDeployment) -> None:
    rollup = deployed.rollup
    client = env.client
    v1, v2, v3, _ = env.verifiers
    # 150 kB of pack data: two blobs.
    data = tx_data("blob pack", 150_000)
    sidecar = blobs.BlobSidecar.for_data(data)
    assert len(sidecar.blobs) == 2
    assert blobs.decode_blobs(list(sidecar.blobs)) == data
    pack = next_pack(rollup, PackWindow(TRUTH, 0, TXS))
    posted = rollup.post_pack_with_blobs(v1, pack, sidecar=sidecar)
    receipt = posted.receipt
    assert receipt["type"] == 3
    assert int(receipt["blobGasUsed"]) == 2 * blobs.GAS_PER_BLOB  # type: ignore[typeddict-item]
    tx = client.w3.eth.get_transaction(receipt["transactionHash"])
    assert [bytes(h) for h in tx["blobVersionedHashes"]] == list(sidecar.versioned_hashes)

    info = rollup.pack_info(posted.pack_id)
    assert info.pack.da_kind is DaKind.BLOBS
    assert info.pack.da_commitment == blob_commitment(sidecar.versioned_hashes)
    (event,) = rollup.contract.events.PackBlobsReferenced().process_receipt(receipt, errors=DISCARD)
    assert [bytes(h) for h in event["args"]["versionedHashes"]] == list(sidecar.versioned_hashes)

    rollup.affirm(v2, posted.pack_id)
    rollup.affirm(v3, posted.pack_id)
    assert rollup.tier_of(posted.pack_id) is Tier.VERIFICATION_FINAL
    advance(client, WINDOW)
    rollup.finalize(v2, posted.pack_id)
    assert rollup.tier_of(posted.pack_id) is Tier.ROLLUP_FINAL

    # A blob-DA post without blobs is refused by the contract (decoded error).
    pack2 = next_pack(rollup, PackWindow(TRUTH, TXS, TXS))
    with pytest.raises(TransactionReverted) as failure:
        client.transact(
            rollup.contract.functions.postPackWithBlobs(
                pack2.header.as_abi(), pack2.state_root_proof
            ),
            v1,
        )
    assert failure.value.reason.name == "NoBlobs"
    # Calldata and blob packs mix on one chain.
    assert rollup.post_pack(v2, pack2, tx_data("calldata after blobs")).pack_id == 2


def test_post_errors_are_decoded(env: Env, deployed: RollupDeployment) -> None:
    rollup = deployed.rollup
    v1 = env.verifiers[0]
    good = next_pack(rollup, PackWindow(TRUTH, 0, TXS))
    wrong_final = BuiltPack(
        header=good.header.__class__(**{**good.header.__dict__, "state_root": TRUTH.tx_root(1)}),
        state_root_proof=good.state_root_proof,
        tx_roots=good.tx_roots,
    )
    with pytest.raises(TransactionReverted) as failure:
        rollup.post_pack(v1, wrong_final, b"x")
    assert failure.value.reason.name == "StateRootNotLastLeaf"
    with pytest.raises(TransactionReverted) as failure:
        rollup.post_pack(env.challenger, good, b"x")
    assert failure.value.reason.name == "NotEligibleVerifier"
    rollup.post_pack(v1, good, b"x")
    with pytest.raises(TransactionReverted) as failure:
        rollup.post_pack(v1, good, b"x")  # parent 0 is no longer the head
    assert failure.value.reason.name == "ParentNotHead"


def test_wrong_pack_loses_dispute_and_head_reverts(env: Env, deployed: RollupDeployment) -> None:
    rollup = deployed.rollup
    game = deployed.game
    client = env.client
    honest, liar, third, _ = env.verifiers
    lie = AlphabetTraceProvider(
        tx_count=4 * TXS, step_depth=STEP_DEPTH, lie_from=((TXS + 2) << STEP_DEPTH) + 3
    )

    p1 = rollup.post_pack(honest, next_pack(rollup, PackWindow(TRUTH, 0, TXS)), b"p1").pack_id
    liar_window = PackWindow(lie, TXS, TXS)
    p2 = rollup.post_pack(liar, next_pack(rollup, liar_window), b"p2").pack_id
    p3 = rollup.post_pack(third, next_pack(rollup, PackWindow(lie, 2 * TXS, TXS)), b"p3").pack_id
    assert rollup.valid_chain() == [0, p1, p2, p3]

    # The challenger re-executes p2 from its (agreed) pre-state and disagrees.
    honest_window = PackWindow(TRUTH, TXS, TXS)
    info = rollup.pack_info(p2)
    claim = ClaimView(
        claim_id=info.claim_id,
        defender=info.pack.poster,
        pre_state_root=info.pre_state_root,
        tx_roots=tuple(liar_window.tx_roots()),
        tx_roots_commitment=info.pack.tx_roots_commitment,
    )
    assert (
        plan_challenge(
            ClaimView(
                claim_id(p1),
                honest.address,
                TRUTH.tx_root(0),
                tuple(TRUTH.tx_roots()[:TXS]),
                rollup.pack(p1).tx_roots_commitment,
            ),
            PackWindow(TRUTH, 0, TXS),
        )
        is None
    ), "p1 is correct: nothing to challenge"
    opening = plan_challenge(claim, honest_window)
    assert opening is not None
    config = read_config(game)
    challenger = Responder(client, game, env.challenger, l1_clock(client))
    defender = Responder(client, game, liar, l1_clock(client))
    game_id, _ = open_game(challenger, opening, config.challenger_bond)
    assert game.functions.hasOpenGame(claim_id(p2)).call()

    # Past the window, p1 finalizes but p2 cannot while its game is open.
    advance(client, WINDOW)
    rollup.finalize(env.challenger, p1)
    with pytest.raises(TransactionReverted) as failure:
        rollup.finalize(env.challenger, p2)
    assert failure.value.reason.name == "DisputeInProgress"
    with pytest.raises(TransactionReverted) as failure:
        rollup.invalidate(env.challenger, p2)
    assert failure.value.reason.name == "PackNotDefeated"

    stake_before = env.settlement.sequencer_registry.active_stake(liar.address, ETH)
    for _ in range(64):
        state = read_game(game, game_id)
        if state.phase.final:
            break
        respond_once(defender, game_id, Player.DEFENDER, liar_window, config)
        respond_once(challenger, game_id, Player.CHALLENGER, honest_window, config)
    state = read_game(game, game_id)
    assert state.phase.name == "CHALLENGER_WON"
    assert game.functions.isDefeated(claim_id(p2)).call()
    stake_after = env.settlement.sequencer_registry.active_stake(liar.address, ETH)
    assert stake_before - stake_after == ETHER, "the lying verifier was slashed"

    with pytest.raises(TransactionReverted) as failure:
        rollup.finalize(env.challenger, p2)
    assert failure.value.reason.name == "PackDefeated"
    receipt = rollup.invalidate(env.challenger, p2)
    (invalidated,) = rollup.contract.events.PacksInvalidated().process_receipt(
        receipt, errors=DISCARD
    )
    assert invalidated["args"]["fromPackId"] == p2 and invalidated["args"]["count"] == 2
    (reverted,) = rollup.contract.events.HeadReverted().process_receipt(receipt, errors=DISCARD)
    assert reverted["args"]["newHead"] == p1
    assert rollup.head() == p1
    assert rollup.tier_of(p2) is Tier.INVALID and rollup.tier_of(p3) is Tier.INVALID
    head_id, head_root, last_block = rollup.head_state()
    assert head_root == TRUTH.tx_root(TXS), "agents rebuild from the last valid root"
    assert rollup.tier_of_block(last_block + 1) is None

    # The honest verifier re-posts p2's range correctly; the chain moves on.
    p4 = rollup.post_pack(honest, next_pack(rollup, honest_window), b"p2 again").pack_id
    assert rollup.pack(p4).parent_id == p1
    assert rollup.valid_chain() == [0, p1, p4]
    advance(client, WINDOW)
    assert rollup.finalize_ready(env.challenger) == [p4]
    assert rollup.tier_of(p4) is Tier.ROLLUP_FINAL


def test_create_address_matches_node(env: Env) -> None:
    client = env.client
    nonce = client.w3.eth.get_transaction_count(env.owner.address, "pending")
    predicted = create_address(env.owner.address, nonce)
    deployed = client.deploy(load_artifact("AlphabetVM"), env.owner)
    assert deployed.address == predicted


def test_gas_table(
    env: Env, deployed: RollupDeployment, capsys: pytest.CaptureFixture[str]
) -> None:
    """Gas of each action from anvil receipts (intrinsic and calldata included); run with
    ``-s`` to see the table. Bounds are loose regressions guards."""
    rollup = deployed.rollup
    client = env.client
    v1, v2, v3, v4 = env.verifiers
    rows: list[tuple[str, int]] = []

    def used(receipt: object) -> int:
        return int(receipt["gasUsed"])  # type: ignore[index]

    big = AlphabetTraceProvider(tx_count=1000, step_depth=0)
    # 1,000 transactions (proof of 10 siblings) with 100 kB of data in calldata ...
    first = build_pack(0, 1, 10, big.tx_roots(), TRUTH.tx_root(0))
    p1 = rollup.post_pack(v1, first, tx_data("calldata", 100_000))
    rows.append(("postPack, 1000 txs, 100 kB calldata", used(p1.receipt)))
    head_id, head_root, last = rollup.head_state()
    # ... and in blobs (the same 100 kB: one blob).
    second = build_pack(
        head_id,
        last + 1,
        last + 10,
        AlphabetTraceProvider(tx_count=1000, step_depth=0, start_value=7).tx_roots(),
        head_root,
    )
    p2 = rollup.post_pack_with_blobs(v2, second, tx_data("blobs", 100_000))
    rows.append(("postPackWithBlobs, 1000 txs, 100 kB in 1 blob", used(p2.receipt)))
    head_id, head_root, last = rollup.head_state()
    small = build_pack(head_id, last + 1, last + 1, TRUTH.tx_roots()[:TXS], head_root)
    p3 = rollup.post_pack(v1, small, tx_data("small", 300))
    rows.append(("postPack, 4 txs, 300 B calldata", used(p3.receipt)))
    rows.append(("affirm (first)", used(rollup.affirm(v3, p1.pack_id))))
    rows.append(("affirm (reaches quorum)", used(rollup.affirm(v4, p1.pack_id))))
    rows.append(("reject", used(rollup.reject(v3, p2.pack_id))))
    advance(client, WINDOW)
    rows.append(("finalize", used(rollup.finalize(v1, p1.pack_id))))
    width = max(len(name) for name, _ in rows)
    with capsys.disabled():
        print("\nRollup gas (anvil receipts)")
        for name, gas in rows:
            print(f"  {name:<{width}}  {gas:>9,}")
    table = dict(rows)
    assert table["postPack, 4 txs, 300 B calldata"] < 250_000
    assert table["postPackWithBlobs, 1000 txs, 100 kB in 1 blob"] < 300_000
    assert table["affirm (first)"] < 100_000
    assert table["finalize"] < 100_000


# -- blob encoding (pure) ---------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 30, 31, blobs.USABLE_BYTES_PER_BLOB - 8, 200_000])
def test_blob_encoding_round_trips(size: int) -> None:
    data = bytes((i * 7 + 3) % 256 for i in range(size))
    encoded = blobs.encode_blobs(data)
    assert len(encoded) == blobs.blobs_needed(size)
    assert all(len(blob) == blobs.BLOB_SIZE for blob in encoded)
    # Every field element stays below the BLS modulus (top byte zero).
    assert all(blob[i] == 0 for blob in encoded for i in range(0, blobs.BLOB_SIZE, 32))
    assert blobs.decode_blobs(encoded) == data


def test_blob_limits_and_versioned_hashes() -> None:
    assert blobs.blobs_needed(blobs.USABLE_BYTES_PER_BLOB - 8) == 1
    assert blobs.blobs_needed(blobs.USABLE_BYTES_PER_BLOB - 7) == 2
    with pytest.raises(blobs.BlobError):
        blobs.encode_blobs(bytes(blobs.MAX_BLOBS_PER_TX * blobs.USABLE_BYTES_PER_BLOB))
    with pytest.raises(blobs.BlobError):
        blobs.decode_blobs([b"\x01" * blobs.BLOB_SIZE])
    with pytest.raises(blobs.BlobError):
        blobs.BlobSidecar.build([])
    sidecar = blobs.BlobSidecar.for_data(b"pack")
    (versioned,) = sidecar.versioned_hashes
    assert versioned[0] == blobs.VERSIONED_HASH_VERSION_KZG and len(versioned) == 32
    assert len(sidecar.commitments[0]) == 48 and len(sidecar.proofs[0]) == 48
