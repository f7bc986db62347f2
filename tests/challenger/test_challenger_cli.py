"""The challenger as a real process (``altrollup challenger run``) against anvil: it wins
against a lying poster's defender agent; it survives ``kill -9`` at random points and at
the two in-flight points of a move (signed-not-sent, sent-not-recorded) and still wins
without sending any move twice; ``altrollup dispute list / show`` print the game."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from challenger_env import (
    TXS,
    Agent,
    ChainEnv,
    deploy,
    make_agent,
    post_window,
    truth,
)

from agents.challenger import store as db
from agents.challenger.agent import tick
from agents.dispute.game import GamePhase, read_game
from agents.l1.rollup import Tier

pytestmark = pytest.mark.xdist_group("challenger")

STEP_DEPTH = 24  # a long game (3 + 24 answers), so every kill lands mid-game
PROCESS_SECONDS = 45.0


def altrollup() -> list[str]:
    script = Path(sys.executable).parent / "altrollup"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from agents.cli import main; main()"]


def start_challenger(
    chain: ChainEnv,
    rollup: str,
    state_dir: Path,
    log_path: Path,
    crash_at: str | None = None,
    extra: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop("ALTROLLUP_CRASH_AT", None)
    if crash_at:
        env["ALTROLLUP_CRASH_AT"] = crash_at
    command = altrollup() + [
        "challenger",
        "run",
        "--l1-rpc",
        chain.client.w3.provider.endpoint_uri,  # type: ignore[attr-defined]
        "--rollup",
        rollup,
        "--key",
        chain.keys[5],
        "--state-dir",
        str(state_dir),
        "--poll-interval",
        "0.1",
        "--alphabet-history",
        "256",
        *extra,
    ]
    log = open(log_path, "ab")  # noqa: SIM115 - closed by the process's end
    return subprocess.Popen(command, stdout=log, stderr=log, env=env)


def log_events(path: Path) -> list[dict[str, object]]:
    events = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut short by kill -9
    return events


def count_events(path: Path, name: str) -> int:
    if not path.exists():
        return 0
    return sum(1 for event in log_events(path) if event["event"] == name)


def lying_setup(chain: ChainEnv) -> tuple[object, int, int, Agent, Path]:
    """A Rollup with a correct pack p1 and a wrong pack p2 by a lying verifier."""
    deployed = deploy(chain, STEP_DEPTH)
    rollup = deployed.rollup
    honest, liar = chain.verifiers[0], chain.verifiers[1]
    base = truth(STEP_DEPTH)
    lie_from = ((TXS + 5) << STEP_DEPTH) + 77
    p1 = post_window(rollup, honest, base, 0)
    p2 = post_window(rollup, liar, base.with_lie(lie_from), TXS)
    return deployed, p1, p2, lie_from


def wait_for(process: subprocess.Popen[bytes], seconds: float) -> int:
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        raise AssertionError("the challenger process did not stop in time") from None


def test_challenger_process_wins_and_dispute_commands(chain: ChainEnv, tmp_path: Path) -> None:
    deployed, p1, p2, lie_from = lying_setup(chain)
    rollup = deployed.rollup
    defender, _ = make_agent(
        chain,
        rollup.address,
        chain.verifiers[1],
        tmp_path / "liar",
        lie_from=lie_from,
        challenge=False,
        defend=True,
        step_depth=STEP_DEPTH,
    )
    log_path = tmp_path / "challenger.log"
    process = start_challenger(
        chain, rollup.address, tmp_path / "state", log_path, extra=("--metrics-port", "0")
    )
    deadline = time.monotonic() + PROCESS_SECONDS
    try:
        while rollup.tier_of(p2) is not Tier.INVALID:
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            assert process.poll() is None, log_path.read_text()[-3000:]
            tick(defender)
            time.sleep(0.05)
        # Give it a moment to claim its credit, then read the metrics.
        for _ in range(100):
            if deployed.game.functions.credit(chain.challenger.address).call() == 0:
                break
            time.sleep(0.1)
        url = next(e["url"] for e in log_events(log_path) if e["event"] == "metrics-listening")
        body = ""
        for _ in range(50):
            body = urllib.request.urlopen(str(url), timeout=5).read().decode()
            if 'altrollup_challenger_games_won{role="challenger"} 1' in body:
                break
            time.sleep(0.1)
        assert 'altrollup_challenger_games_won{role="challenger"} 1' in body, body
        assert 'altrollup_challenger_moves_sent{action="step"}' in body
        assert 'altrollup_challenger_packs{status="invalidated"} 1' in body
    finally:
        process.send_signal(signal.SIGTERM)
    assert wait_for(process, 15) == 0
    assert rollup.head() == p1
    events = [e["event"] for e in log_events(log_path)]
    for needed in (
        "agent-started",
        "pack-judged",
        "game-opened",
        "move-sent",
        "game-resolved",
        "pack-invalidated",
        "agent-stopped",
    ):
        assert needed in events, needed

    rpc = chain.client.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    listing = subprocess.run(
        altrollup() + ["dispute", "list", "--l1-rpc", rpc, "--rollup", rollup.address],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    print(listing)
    lines = listing.splitlines()
    assert lines[0].split()[:4] == ["GAME", "PACK", "CHALLENGER", "DEFENDER"]
    row = lines[1].split()
    assert row[0] == "1" and row[1] == str(p2) and row[-1] == "challenger-won"
    shown = subprocess.run(
        altrollup()
        + ["dispute", "show", "1", "--state-dir", str(tmp_path / "state"), "--l1-rpc", rpc],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    print(shown)
    assert shown.startswith("game 1: challenger-won by step_proof")
    assert f"pack           {p2} (tier: invalid)" in shown
    for event in (
        "GameCreated",
        "MidpointClaimed",
        "Bisected",
        "TransactionIsolated",
        "StepProven",
        "GameResolved",
        "BondPaid",
        "DefenderSlashed",
    ):
        assert event in shown, event
    missing = subprocess.run(
        altrollup() + ["dispute", "show", "7", "--l1-rpc", rpc, "--rollup", rollup.address],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: no game 7 (the DisputeGame has 1)"
    assert "Traceback" not in missing.stderr


def test_kill9_and_resume_still_wins_without_double_sends(chain: ChainEnv, tmp_path: Path) -> None:
    deployed, p1, p2, lie_from = lying_setup(chain)
    rollup, game = deployed.rollup, deployed.game
    w3 = chain.client.w3
    challenger_address = chain.challenger.address
    nonce_before = w3.eth.get_transaction_count(challenger_address)
    defender, _ = make_agent(
        chain,
        rollup.address,
        chain.verifiers[1],
        tmp_path / "liar",
        lie_from=lie_from,
        challenge=False,
        defend=True,
        step_depth=STEP_DEPTH,
    )
    state_dir = tmp_path / "state"
    log_path = tmp_path / "challenger.log"
    rng = random.Random(20261122)
    # Two deterministic crashes inside a send, then three kill -9 at random moments.
    plan: list[str | None] = ["signed:2", "sent:3", None, None, None]
    kills = 0
    deadline = time.monotonic() + 100

    def game_moves() -> int:
        count = int(game.functions.gameCount().call())
        return read_game(game, 1).moves if count else 0

    for crash_at in plan:
        resumed_before = count_events(log_path, "resumed")
        process = start_challenger(chain, rollup.address, state_dir, log_path, crash_at)
        target: int | None = None
        delay = rng.uniform(0.0, 0.3)
        while True:
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            # Before a kill -9 the defender moves only until the kill target: the
            # challenger can then make at most one more move, so the game never ends
            # before the kill however slow or fast this machine is.
            if crash_at is not None or target is None or game_moves() < target:
                tick(defender)
            if process.poll() is not None:
                break  # crashed itself
            if target is None and count_events(log_path, "resumed") > resumed_before:
                # The process is back in the game: kill it a move or two later.
                target = game_moves() + rng.randint(1, 2)
            if crash_at is None and target is not None and game_moves() >= target:
                time.sleep(delay)
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.05)
        assert process.wait(timeout=10) == -signal.SIGKILL
        kills += 1
        state = read_game(game, 1) if game.functions.gameCount().call() else None
        assert state is None or not state.phase.final, "killed too late: lengthen the game"
    # The last run: no interference until the pack is invalidated and the bond is back.
    process = start_challenger(chain, rollup.address, state_dir, log_path)
    try:
        while (
            rollup.tier_of(p2) is not Tier.INVALID
            or game.functions.credit(challenger_address).call()
        ):
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            assert process.poll() is None, log_path.read_text()[-3000:]
            tick(defender)
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
    assert wait_for(process, 15) == 0
    assert kills == len(plan)

    assert rollup.head() == p1
    final = read_game(game, 1)
    assert final.phase is GamePhase.CHALLENGER_WON
    assert int(game.functions.gameCount().call()) == 1, "exactly one game opened"

    store = db.open_store(state_dir)
    txs = db.list_txs(store)
    mined = [tx for tx in txs if tx.status is db.TxStatus.MINED]
    assert not [
        tx
        for tx in txs
        if tx.status in (db.TxStatus.REVERTED, db.TxStatus.SIGNED, db.TxStatus.SENT)
    ]
    # Every intent landed at most once, and every transaction the account sent is a
    # mined journal row: no move was sent twice.
    intents = [tx.intent for tx in mined]
    assert len(intents) == len(set(intents)), intents
    nonce_after = w3.eth.get_transaction_count(challenger_address)
    assert nonce_after - nonce_before == len(mined)
    answers = [tx for tx in mined if tx.action == "answer"]
    bisected = game.events.Bisected().get_logs(
        from_block=0, argument_filters={"gameId": 1, "player": challenger_address}
    )
    assert len(bisected) == len(answers)
    assert [tx.action for tx in mined].count("open") == 1
    # Either side may submit the final step (the liar believes its own trace).
    assert [tx.action for tx in mined].count("step") <= 1
    assert final.resolution.name == "STEP_PROOF"
    events = log_events(log_path)
    recovered = [e for e in events if e["event"] == "tx-recovered"]
    assert {e["status"] for e in recovered} >= {"dropped", "mined"}, recovered
    assert sum(1 for e in events if e["event"] == "resumed") == len(plan) + 1
    print(
        f"kills: {kills}, journal: {len(mined)} mined; "
        f"recoveries: {[(e['intent'], e['status']) for e in recovered]}"
    )
