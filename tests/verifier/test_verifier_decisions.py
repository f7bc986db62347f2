"""Pure tests of the verifier: decision functions (hypothesis), tier heights, the DA
codec, the L1 inbox rules, and the store's pack lifecycle."""

from __future__ import annotations

import dataclasses
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from verifier_env import L2Chain

from agents.dispute import merkle
from agents.l1.rollup import Tier, Vote
from agents.verifier import agent as decide
from agents.verifier.agent import (
    ExpectedPack,
    L1Pack,
    L1State,
    LocalBlock,
    LocalChain,
    NoPack,
    PackPlan,
    PackPolicy,
    Unknown,
    Verdict,
)
from agents.verifier.da import (
    MAGIC,
    Codec,
    PackDataError,
    decode_pack_data,
    encode_pack_data,
)
from agents.verifier.finality import compute_heights
from agents.verifier.l1_inbox import (
    BridgeConfig,
    Credit,
    Deposit,
    ForcedTx,
    InboxError,
    accumulate,
    check_block_inbox,
    check_chain,
    credit_diff,
    credits_for,
    deposits_due,
    forced_due,
    inbox_covers,
)
from agents.verifier.store import PACK_TRANSITIONS, PackStatus, StoreError, open_store

ME = "0x" + "11" * 20
OTHER = "0x" + "22" * 20


def root(n: int) -> bytes:
    return n.to_bytes(32, "big")


@st.composite
def local_chains(draw: st.DrawFn, max_blocks: int = 12) -> LocalChain:
    """Blocks 0..n with random per-tx roots (0-3 txs each), timestamps 1 s apart."""
    count = draw(st.integers(1, max_blocks))
    blocks: dict[int, LocalBlock] = {0: LocalBlock(0, root(1), (), 0)}
    counter = 2
    state = root(1)
    for number in range(1, count + 1):
        txs = draw(st.integers(0, 3))
        roots = tuple(root(counter + i) for i in range(txs))
        counter += txs
        state = roots[-1] if roots else state
        blocks[number] = LocalBlock(number, state, roots, number * 1000)
    return LocalChain(blocks)


def l1_pack_from(expected: ExpectedPack, pack_id: int = 1, **changes: object) -> L1Pack:
    fields: dict[str, object] = dict(
        pack_id=pack_id,
        parent_id=pack_id - 1,
        height=pack_id,
        first_block=expected.first_block,
        last_block=expected.last_block,
        tx_count=expected.tx_count,
        tx_roots_commitment=expected.tx_roots_commitment,
        state_root=expected.state_root,
        pre_state_root=expected.pre_state_root,
        poster=OTHER,
        tier=Tier.POSTED,
        challenge_deadline=100,
    )
    fields.update(changes)
    return L1Pack(**fields)  # type: ignore[arg-type]


GENESIS = L1Pack(
    0, 0, 0, 0, 0, 0, bytes(32), root(1), root(1), "0x" + "00" * 20, Tier.ROLLUP_FINAL, 0
)


# -- judging ---------------------------------------------------------------------------


@given(local_chains(), st.data())
def test_matching_pack_is_affirmed_and_any_change_rejected(
    local: LocalChain, data: st.DataObject
) -> None:
    head = local.verified_head
    first = data.draw(st.integers(1, max(1, head)))
    last = data.draw(st.integers(first, max(first, head)))
    expected = decide.expected_pack(local, first, last)
    if head < 1:
        assert isinstance(expected, Unknown)
        return
    assert isinstance(expected, ExpectedPack)
    assert expected.tx_roots_commitment == (
        merkle.commitment(expected.tx_roots) if expected.tx_roots else bytes(32)
    )
    assert decide.judge_pack(l1_pack_from(expected), local).verdict is Verdict.AFFIRM
    field = data.draw(
        st.sampled_from(["tx_roots_commitment", "state_root", "pre_state_root", "tx_count"])
    )
    wrong: object = expected.tx_count + 1 if field == "tx_count" else b"\x99" * 32
    changed = dataclasses.replace(l1_pack_from(expected), **{field: wrong})  # type: ignore[arg-type]
    judged = decide.judge_pack(changed, local)
    assert judged.verdict is Verdict.REJECT


@given(local_chains(max_blocks=6))
def test_unknown_blocks_wait_and_faulty_blocks_reject(local: LocalChain) -> None:
    head = local.verified_head
    expected = decide.expected_pack(local, 1, head) if head >= 1 else None
    pack = (
        l1_pack_from(expected)
        if isinstance(expected, ExpectedPack)
        else l1_pack_from(ExpectedPack(1, 1, root(1), (), bytes(32), root(1)))
    )
    beyond = l1_pack_from(ExpectedPack(1, head + 1, root(1), (), bytes(32), root(1)))
    assert decide.judge_pack(beyond, local).verdict is Verdict.WAIT
    if head >= 1:
        blocks = dict(local.blocks)
        blocks[head] = LocalBlock(head, bytes(32), (), 0, faulty=True, detail="bad root")
        faulty = LocalChain(blocks)
        judged = decide.judge_pack(pack, faulty)
        assert judged.verdict is Verdict.REJECT and "faulty" in judged.reason
        assert faulty.verified_head == head - 1


def test_votes_skip_own_voted_final_and_redundant_affirmations() -> None:
    local = LocalChain(
        {0: LocalBlock(0, root(1), (), 0), 1: LocalBlock(1, root(2), (root(2),), 1000)}
    )
    expected = decide.expected_pack(local, 1, 1)
    assert isinstance(expected, ExpectedPack)
    good = l1_pack_from(expected, 1)
    cases = {
        "ours": l1_pack_from(expected, 2, poster=ME.upper().replace("0X", "0x")),
        "voted": l1_pack_from(expected, 3, our_vote=Vote.AFFIRMED),
        "final": l1_pack_from(expected, 4, tier=Tier.ROLLUP_FINAL),
        "invalid": l1_pack_from(expected, 5, tier=Tier.INVALID),
        "quorum": l1_pack_from(expected, 6, tier=Tier.VERIFICATION_FINAL),
        "bad-after-quorum": l1_pack_from(
            expected, 7, tier=Tier.VERIFICATION_FINAL, state_root=root(9)
        ),
        "recorded": l1_pack_from(expected, 8),
    }
    state = L1State(now=0, finalized=GENESIS, pending=(good, *cases.values()))
    votes = decide.votes_to_cast(state, ME, local, {8: "affirm"})
    assert [(v.pack_id, v.verdict) for v in votes] == [(1, Verdict.AFFIRM), (7, Verdict.REJECT)]


# -- posting ---------------------------------------------------------------------------


@given(local_chains(), st.integers(1, 5), st.floats(0, 20), st.floats(0, 40))
def test_next_pack_respects_policy(local: LocalChain, n: int, wait: float, now: float) -> None:
    policy = PackPolicy(max_blocks=n, max_wait=wait)
    state = L1State(now=0, finalized=GENESIS, pending=())
    plan = decide.next_pack(state, local, policy, now)
    available = local.verified_head
    if isinstance(plan, NoPack):
        assert not plan.blocked
        assert available == 0 or (available < n and now - 1.0 < wait)
        return
    assert isinstance(plan, PackPlan)
    assert plan.parent_id == 0 and plan.first_block == 1
    assert plan.last_block - plan.first_block + 1 == min(n, available)
    if available < n:
        assert now - 1.0 >= wait  # block 1 is 1 s old at t=1
    assert plan.expected.pre_state_root == root(1)


def test_next_pack_is_blocked_when_the_l1_head_disagrees() -> None:
    local = LocalChain({0: LocalBlock(0, root(1), (), 0), 1: LocalBlock(1, root(2), (root(2),), 0)})
    liar = L1Pack(1, 0, 1, 1, 1, 1, b"\x01" * 32, root(7), root(1), OTHER, Tier.POSTED, 100)
    state = L1State(now=0, finalized=GENESIS, pending=(liar,))
    plan = decide.next_pack(state, local, PackPolicy(1, 0), 10)
    assert isinstance(plan, NoPack) and plan.blocked and "differs" in plan.reason
    # a head whose final root is ours but whose per-tx roots are not is not extended either
    sneaky = dataclasses.replace(liar, state_root=root(2), tx_roots_commitment=b"\x05" * 32)
    local2 = LocalChain({**local.blocks, 2: LocalBlock(2, root(3), (root(3),), 0)})
    plan = decide.next_pack(L1State(0, GENESIS, (sneaky,)), local2, PackPolicy(1, 0), 10)
    assert isinstance(plan, NoPack) and plan.blocked and "is wrong" in plan.reason
    # after the liar's pack is invalidated the head reverts: the range is rebuilt from it
    reverted = L1State(now=0, finalized=GENESIS, pending=())
    rebuilt = decide.next_pack(reverted, local, PackPolicy(1, 0), 10)
    assert isinstance(rebuilt, PackPlan) and (rebuilt.first_block, rebuilt.last_block) == (1, 1)


@given(st.lists(st.integers(0, 50), max_size=8), st.integers(0, 60))
def test_packs_to_finalize_is_an_expired_prefix(deadlines: list[int], now: int) -> None:
    pending = tuple(
        L1Pack(i + 1, i, i + 1, i + 1, i + 1, 0, bytes(32), root(1), root(1), OTHER, Tier.POSTED, d)
        for i, d in enumerate(sorted(deadlines))
    )
    ready = decide.packs_to_finalize(L1State(now=now, finalized=GENESIS, pending=pending))
    assert ready == [p.pack_id for p in pending[: len(ready)]]
    assert all(p.challenge_deadline <= now for p in pending[: len(ready)])
    if len(ready) < len(pending):
        assert pending[len(ready)].challenge_deadline > now


@given(st.lists(st.sampled_from([Tier.POSTED, Tier.VERIFICATION_FINAL]), max_size=8))
def test_tier2_height_is_the_end_of_the_verified_prefix(tiers: list[Tier]) -> None:
    pending = [(10 * (i + 1), tier) for i, tier in enumerate(tiers)]
    heights = compute_heights(0, pending)
    prefix = 0
    for last, tier in pending:
        if tier is not Tier.VERIFICATION_FINAL:
            break
        prefix = last
    assert heights.tier2 == prefix >= heights.tier3 == 0


# -- reconcile and store lifecycle -----------------------------------------------------


def test_store_lifecycle_and_reconcile(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.bind_identity({"rollup": "0xabc", "account": ME})
    with pytest.raises(StoreError, match="belongs to rollup=0xabc"):
        store.bind_identity({"rollup": "0xdef"})
    kwargs = dict(
        parent_root=root(1), tx_count=1, commitment=root(2), state_root=root(2), da="calldata"
    )
    a = store.add_pack(first_block=1, last_block=2, parent_pack=0, **kwargs)  # type: ignore[arg-type]
    b = store.add_pack(first_block=3, last_block=4, parent_pack=1, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="from built to tier3"):
        store.set_pack_status(a, PackStatus.TIER3)
    store.set_pack_status(a, PackStatus.POSTING, nonce=5)
    store.set_pack_status(a, PackStatus.POSTED, l1_pack_id=1)
    head = L1Pack(1, 0, 1, 1, 2, 1, root(2), root(2), root(1), ME, Tier.POSTED, 9)
    moves = decide.reconcile_packs(store.packs(), {1: Tier.VERIFICATION_FINAL}, head)
    assert moves == [(a, PackStatus.TIER2)]
    moves = decide.reconcile_packs(store.packs(), {1: Tier.INVALID}, GENESIS)
    assert moves == [(a, PackStatus.INVALIDATED), (b, PackStatus.SUPERSEDED)]
    for row_id, status in moves:
        store.set_pack_status(row_id, status)
    assert all(not PACK_TRANSITIONS[s] for s in (PackStatus.INVALIDATED, PackStatus.SUPERSEDED))
    assert store.pack(a).nonce == 5 and store.pack(a).l1_pack_id == 1
    store.close()
    reopened = open_store(tmp_path)
    assert [r.status for r in reopened.packs()] == [PackStatus.INVALIDATED, PackStatus.SUPERSEDED]
    reopened.close()


# -- DA codec --------------------------------------------------------------------------


def test_pack_data_roundtrip_and_errors(tmp_path: Path) -> None:
    chain = L2Chain.create(tmp_path, 4242)
    for count in (3, 0, 5):
        chain.add_block(count)
    blocks = chain.blocks[1:]
    data = encode_pack_data(blocks)
    raw = encode_pack_data(blocks, Codec.RAW)
    assert data[:4] == MAGIC and len(data) < len(raw)
    decoded = decode_pack_data(data)
    assert decoded.blocks == tuple(blocks) == decode_pack_data(raw).blocks
    assert decoded.tx_roots == tuple(r for b in blocks for r in b.tx_state_roots)
    assert decoded.tx_count == 8 and (decoded.first_block, decoded.last_block) == (1, 3)
    with pytest.raises(PackDataError, match="bad magic"):
        decode_pack_data(b"XXXX" + data[4:])
    with pytest.raises(PackDataError, match="version"):
        decode_pack_data(data[:4] + b"\x09" + data[5:])
    with pytest.raises(PackDataError, match="truncated|zlib"):
        decode_pack_data(data[:-10])
    with pytest.raises(PackDataError, match="needs 3 blocks, got 2"):
        encode_pack_data([blocks[0], blocks[2]])
    with pytest.raises(PackDataError, match="block 2 does not link to block 1"):
        encode_pack_data([chain.tamper(1), blocks[1], blocks[2]])
    bomb = MAGIC + b"\x01\x01" + zlib.compress(bytes(70 * 1024 * 1024), 9)
    with pytest.raises(PackDataError, match="exceeds"):
        decode_pack_data(bomb)
    chain.store.close()


# -- inbox rules -----------------------------------------------------------------------


def deposit(index: int, creditable_at: int, amount: int = 10) -> Deposit:
    return Deposit(index, OTHER, "0x" + "33" * 20, amount, creditable_at - 12, creditable_at, b"")


@given(
    st.lists(st.integers(1, 200), min_size=1, max_size=10),
    st.lists(st.integers(0, 220), min_size=1, max_size=12, unique=True),
)
def test_each_deposit_is_due_in_exactly_one_block(creditable: list[int], times: list[int]) -> None:
    deposits = [deposit(i, t) for i, t in enumerate(creditable)]
    timestamps = sorted(times)
    due_counts = {d.index: 0 for d in deposits}
    parent: int | None = None
    for ts in timestamps:
        for d in deposits_due(deposits, parent, ts):
            due_counts[d.index] += 1
        parent = ts
    for d in deposits:
        assert due_counts[d.index] == (1 if d.creditable_at <= timestamps[-1] else 0)


def test_check_block_inbox_finds_every_violation() -> None:
    deposits = [deposit(0, 100), deposit(1, 105, amount=7), deposit(2, 300)]
    forced = [
        ForcedTx(0, OTHER, b"\x01" * 32, b"raw0", 0, 104, b""),
        ForcedTx(1, OTHER, b"\x02" * 32, b"raw1", 0, 104, b""),
        ForcedTx(2, OTHER, b"\x03" * 32, b"raw2", 0, 104, b""),
        ForcedTx(3, OTHER, b"\x04" * 32, b"raw3", 0, 500, b""),
    ]
    ok_credits = [Credit(0, "0x" + "33" * 20, 10), Credit(1, "0x" + "33" * 20, 7)]

    def not_includable(item: ForcedTx) -> str | None:
        return "nonce_too_low" if item.index == 2 else None

    clean = check_block_inbox(
        parent_ts=90, ts=110, credits=ok_credits, included_hashes={b"\x01" * 32, b"\x02" * 32},
        deposits=deposits, forced=forced, not_includable=not_includable,
    )  # fmt: skip
    assert clean == []
    bad = check_block_inbox(
        parent_ts=90, ts=110, credits=[Credit(1, "0x" + "33" * 20, 8), Credit(2, OTHER, 1)],
        included_hashes={b"\x01" * 32}, deposits=deposits, forced=forced,
        not_includable=not_includable,
    )  # fmt: skip
    kinds = sorted((v.kind, v.index) for v in bad)
    assert kinds == [
        ("deposit-mismatch", 1),
        ("deposit-missing", 0),
        ("deposit-unexpected", 2),
        ("forced-missing", 1),
    ]
    # not due yet: nothing to check
    assert check_block_inbox(
        parent_ts=0, ts=99, credits=[], included_hashes=set(), deposits=deposits,
        forced=forced, not_includable=not_includable,
    ) == []  # fmt: skip
    assert [f.index for f in forced_due(forced, 103, 104)] == [0, 1, 2]


def test_accumulator_chain_detects_missing_or_altered_items() -> None:
    items: list[Deposit] = []
    acc = bytes(32)
    for i in range(3):
        d = deposit(i, 100 + i)
        acc = accumulate(acc, d.item_hash())
        items.append(
            Deposit(d.index, d.sender, d.recipient, d.amount, d.l1_timestamp, d.creditable_at, acc)
        )
    check_chain(items)
    with pytest.raises(InboxError, match="item 1 is missing"):
        check_chain([items[0], items[2]])
    altered = Deposit(1, OTHER, items[1].recipient, 999, 0, 0, items[1].accumulator)
    with pytest.raises(InboxError, match="accumulator mismatch"):
        check_chain([items[0], altered, items[2]])


@settings(max_examples=25)
@given(st.integers(1, 10), st.integers(0, 100))
def test_policy_validation(n: int, wait: int) -> None:
    assert PackPolicy(n, wait).max_blocks == n
    with pytest.raises(ValueError):
        PackPolicy(0, wait)


def test_inbox_covers_is_strict_at_the_boundary() -> None:
    config = BridgeConfig("0x" + "00" * 20, 1, 12, 600, 0, 1024)
    assert inbox_covers(1000, 1011, config)
    assert not inbox_covers(1000, 1012, config)  # a later L1 block may share t_L1 = 1000


def test_credit_diff_adds_to_balances_and_creates_accounts(tmp_path: Path) -> None:
    chain = L2Chain.create(tmp_path, 4242)
    funded = bytes.fromhex("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    before = chain.store.get_account(funded)
    assert before is not None
    fresh = "0x" + "77" * 20
    credits = [
        Credit(0, "0x" + funded.hex(), 5),
        Credit(1, fresh, 7),
        Credit(2, "0x" + funded.hex(), 1),
    ]
    chain.store.apply(credit_diff(chain.store, credits))
    after = chain.store.get_account(funded)
    assert after is not None and after.balance == before.balance + 6
    assert after.nonce == before.nonce
    created = chain.store.get_account(bytes.fromhex("77" * 20))
    assert created is not None and (created.balance, created.nonce) == (7, 0)
    assert credits_for([deposit(3, 100, amount=9)]) == [Credit(3, "0x" + "33" * 20, 9)]
    chain.store.close()
