"""Pure tests of the challenger's store (pack lifecycle, journal rules, identity) and of
pack judging (valid, invalid at the final root, invalid at the first wrong root,
unjudgeable)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.challenger import store as db
from agents.challenger.judge import PackView, alphabet_trace_factory, judge_pack
from agents.dispute import merkle
from agents.dispute.trace import AlphabetTraceProvider

DEPTH = 3
TRUTH = AlphabetTraceProvider(64, DEPTH)


def pack_record(pack_id: int) -> db.PackRecord:
    return db.PackRecord(
        pack_id, "0xposter", 4, 1, 2, "0x00", 10**9, "0xabc", 7, db.PackStatus.SEEN, ""
    )


def test_pack_lifecycle_allows_only_the_diagram(tmp_path: Path) -> None:
    store = db.open_store(tmp_path)
    assert db.add_pack(store, pack_record(1))
    assert not db.add_pack(store, pack_record(1)), "re-scans are harmless"
    with pytest.raises(db.IllegalPackTransition):
        db.set_pack_status(store, 1, db.PackStatus.WON)
    for status in (db.PackStatus.INVALID, db.PackStatus.CHALLENGED, db.PackStatus.WON):
        assert db.set_pack_status(store, 1, status)
    assert not db.set_pack_status(store, 1, db.PackStatus.WON)
    with pytest.raises(db.IllegalPackTransition):
        db.set_pack_status(store, 1, db.PackStatus.VALID)
    db.set_pack_status(store, 1, db.PackStatus.INVALIDATED)
    with pytest.raises(db.IllegalPackTransition):
        db.set_pack_status(store, 1, db.PackStatus.FINALIZED)
    db.close_store(store)
    reopened = db.open_store(tmp_path)
    assert db.get_pack(reopened, 1).status is db.PackStatus.INVALIDATED  # type: ignore[union-attr]


def test_journal_blocks_an_intent_until_its_tx_is_dropped(tmp_path: Path) -> None:
    store = db.open_store(tmp_path)
    intent = "answer:game=1:moves=3"
    assert db.intent_blocked(store, intent) is None
    row = db.journal_signed(
        store,
        intent=intent,
        action="answer",
        game_id=1,
        pack_id=None,
        nonce=5,
        tx_hash="0x01",
        raw_tx="0xf8",
    )
    assert row.status is db.TxStatus.SIGNED and db.in_flight_txs(store) == [row]
    assert db.intent_blocked(store, intent) == row
    db.set_tx_status(store, row.id, db.TxStatus.DROPPED, detail="never broadcast")
    assert db.intent_blocked(store, intent) is None
    again = db.journal_signed(
        store,
        intent=intent,
        action="answer",
        game_id=1,
        pack_id=None,
        nonce=5,
        tx_hash="0x01",
        raw_tx="0xf8",
    )
    assert again.id == row.id and again.status is db.TxStatus.SIGNED, "same tx, same row"
    db.set_tx_status(store, row.id, db.TxStatus.MINED, block_number=9, gas_used=60_000)
    with pytest.raises(ValueError):
        db.journal_signed(
            store,
            intent=intent,
            action="answer",
            game_id=1,
            pack_id=None,
            nonce=5,
            tx_hash="0x01",
            raw_tx="0xf8",
        )
    assert db.intent_blocked(store, intent) is not None


def test_state_dir_belongs_to_one_rollup(tmp_path: Path) -> None:
    store = db.open_store(tmp_path)
    db.bind_identity(store, {"rollup": "0xAA", "account": "0xBB"})
    db.bind_identity(store, {"rollup": "0xaa", "account": "0xbb"})
    with pytest.raises(ValueError, match="belongs to rollup"):
        db.bind_identity(store, {"rollup": "0xCC"})


def view_of(offset: int, roots: list[bytes], proof_of_last: bool = True) -> PackView:
    return PackView(
        pack_id=3,
        parent_id=2,
        poster="0xposter",
        pre_state_root=TRUTH.tx_root(offset),
        first_block=1,
        last_block=2,
        tx_count=len(roots),
        state_root=roots[-1],
        tx_roots_commitment=merkle.commitment(roots),
        da_kind=0,
        da_commitment=bytes(32),
        trace_context=bytes(32),
        challenge_deadline=10**9,
        claim_id=(3).to_bytes(32, "big"),
        posting_tx=b"",
        state_root_proof=tuple(merkle.proof(roots, len(roots) - 1)) if proof_of_last else (),
    )


def test_judge_valid_invalid_and_unjudgeable() -> None:
    factory = alphabet_trace_factory(DEPTH, history_txs=64, start_value=TRUTH.start_value)
    honest = [TRUTH.tx_root(8 + i) for i in range(1, 9)]
    view = view_of(8, honest)
    assert judge_pack(view, factory(view)).valid is True

    lie = TRUTH.with_lie((11 << DEPTH) + 2)
    wrong = [lie.tx_root(8 + i) for i in range(1, 9)]
    view = view_of(8, wrong)
    verdict = judge_pack(view, factory(view))
    assert verdict.valid is False and verdict.opening is not None
    assert verdict.opening.disputed_tx == 8, "opened at the final root, proof from L1"
    assert list(verdict.opening.root_proof) == merkle.proof(wrong, 7)
    with_roots = PackView(**{**view.__dict__, "claimed_roots": tuple(wrong)})
    verdict = judge_pack(with_roots, factory(with_roots))
    assert verdict.opening is not None and verdict.opening.disputed_tx == 4, (
        "first wrong root (tx 12 of the history)"
    )

    # A lie confined to one intermediate root: needs the claimed roots.
    patched = list(honest)
    patched[2] = merkle.keccak(b"made-up root")
    view = view_of(8, patched)
    verdict = judge_pack(view, factory(view))
    assert verdict.valid is False and verdict.opening is None

    # A pack on top of a wrong pre-state is not ours to judge.
    view = view_of(8, wrong)
    successor = PackView(**{**view.__dict__, "pre_state_root": wrong[-1]})
    assert factory(successor) is None
    assert judge_pack(successor, factory(successor)).valid is None
