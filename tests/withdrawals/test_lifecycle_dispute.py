"""The end-of-life flow when the final pack is wrong: the challenger agent wins the
dispute on-chain, the pack is invalidated, the flow waits for the honest final pack and
settles on it.

Runs on the challenger tests' chain (AlphabetVM games, real DisputeGame, the real
challenger and defender agents from tests/challenger/challenger_env.py); the flow runs in
a thread as ``altrollup rollup end`` would, with the default final-pack source (the head,
once posted after the end).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from agents.l1.client import L1Client
from agents.l1.lifecycle import (
    LifecycleContracts,
    Settlement,
    deploy_rollup_settlement,
    end_rollup,
)
from agents.l1.registries import RollupStatus
from agents.l1.rollup import Tier

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "challenger"))
from challenger_env import (  # noqa: E402
    STEP_DEPTH,
    TRUTH,
    TXS,
    WINDOW,
    advance,
    deploy,
    drive,
    make_agent,
    make_chain,
    post_window,
)

pytestmark = pytest.mark.xdist_group("withdrawals")


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_lost_final_pack_is_replaced_and_the_rollup_settles(
    l1: L1Client, funded_keys: list[str], tmp_path: Path
) -> None:
    chain = make_chain(l1, funded_keys)
    rollup = deploy(chain).rollup
    honest, liar, _, finalizer = chain.verifiers
    p1 = post_window(rollup, honest, TRUTH, 0)
    advance(l1, WINDOW)
    assert rollup.finalize_ready(chain.owner) == [p1]

    registry = chain.settlement.execution_layer_registry
    settlement = deploy_rollup_settlement(l1, chain.owner, registry)
    contracts = LifecycleContracts(registry, settlement, rollup)
    lines: list[str] = []
    outcome: dict[str, Settlement | BaseException] = {}

    def run_flow() -> None:
        try:
            outcome["settlement"] = end_rollup(
                contracts,
                chain.rollup_id,
                chain.owner,
                sender=finalizer,
                progress=lines.append,
                poll_interval=0.1,
                timeout=240,
            )
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            outcome["error"] = error

    flow = threading.Thread(target=run_flow, daemon=True)
    flow.start()
    _wait_for(lambda: registry.info(chain.rollup_id).status is RollupStatus.ENDING, "ENDING")

    # A lying verifier posts the final pack; the challenger agent takes it down.
    lie_from = ((TXS + 3) << STEP_DEPTH) + 5
    wrong = post_window(rollup, liar, TRUTH.with_lie(lie_from), TXS)
    _wait_for(lambda: any(f"final pack {wrong} posted" in line for line in lines), "the lie")
    challenger, _ = make_agent(chain, rollup.address, chain.challenger, tmp_path / "challenger")
    defender, _ = make_agent(
        chain, rollup.address, liar, tmp_path / "liar", lie_from=lie_from, challenge=False,
        defend=True,
    )  # fmt: skip
    drive([challenger, defender], lambda: rollup.tier_of(wrong) is Tier.INVALID)
    _wait_for(
        lambda: any("lost a dispute" in line for line in lines) or "error" in outcome,
        "the flow to notice",
    )
    assert "settlement" not in outcome and "error" not in outcome

    # The honest final pack, its window, and the settlement.
    right = post_window(rollup, honest, TRUTH, TXS)
    advance(l1, WINDOW)
    flow.join(timeout=120)
    assert not flow.is_alive(), "\n".join(lines)
    assert "error" not in outcome, outcome.get("error")
    result = outcome["settlement"]
    assert isinstance(result, Settlement)
    assert result.final_pack_id == right
    assert result.final_state_root == TRUTH.tx_root(2 * TXS)
    assert registry.info(chain.rollup_id).status is RollupStatus.SETTLED
    print("\n".join(lines))
    order = [
        "ending: ACTIVE -> ENDING",
        f"final pack {wrong} posted",
        f"final pack {wrong} lost a dispute",
        f"final pack {right} posted",
        f"final pack {right} is tier 3",
        "SETTLED",
    ]
    positions = [next(i for i, line in enumerate(lines) if step in line) for step in order]
    assert positions == sorted(positions), lines
