"""Rollup EVM throughput beside pyrevm and py-evm, measured in one run; printed table.

    .venv/bin/python benchmarks/bench_evm.py [--transfers N] [--repetitions R] [--profile]

Workloads (all single-threaded, one warm-up batch, median of ``R`` timed batches). Every
timed region is measured twice: CPU seconds of the benchmark thread
(``time.thread_time``: the one-core figure on a machine shared with other processes,
and what the targets are checked against) and wall-clock seconds (``time.perf_counter``:
includes the time other processes held the core). Both are printed.

* **ERC-20 transfers end to end** on the OpenZeppelin ``DiffERC20`` fixture
  (``tests/forge/fixtures/DifferentialTokens.sol``; built with forge if ``out/`` lacks
  it): pre-signed EIP-1559 transactions are decoded, their sender recovered (coincurve),
  executed, and a state root computed after every transaction, with

  - our EVM on the in-memory ``MemoryBackend`` (Ethereum MPT root per transaction),
  - our EVM on ``MerkleStore`` in a temporary LMDB directory (sparse-Merkle root per
    transaction, the rollup's committed state) with its defaults (every transaction
    committed to LMDB, every root kept), and with ``applies_per_write=100`` (group
    commit of a block of 100 transactions, every root still kept),
  - **pyrevm** in-process: ``message_call`` per transfer (no decoding, no signature,
    no state root: revm's own best case),
  - **py-evm** (Cancun chain from eth-tester's ``setup_tester_chain``): raw bytes decoded,
    ``chain.apply_transaction`` (sender recovery, execution, state root per transaction).

  For our EVM the time per transaction is split into decode / recover / execute / root
  (the root column is the time inside ``backend.apply``).
* **Opcodes/s** on ``LoopBench.run(n)`` (arithmetic, keccak every 16th iteration, one
  SSTORE): the instruction count comes from one step-hooked run; fast mode, pyrevm and
  py-evm are timed on the same call from the same pre-state.
* **Trace mode** steps/s (``agents.evm.trace.trace_transaction`` on MerkleStore, one
  commitment per step), for the same ERC-20 transfers and loop; "n/a" if the module is
  missing.

Targets from issue 3 are printed beside the numbers (checked against the CPU rate): fast
mode >= 2,000 ERC-20 transfers/s with the rollup's committed state root per transaction
(the MerkleStore rows; the MemoryBackend row computes Ethereum's MPT root for the state
tests and is shown for comparison only), trace mode >= 50,000 steps/s. ``--profile``
adds cProfile (and pyinstrument, if installed) reports of our fast mode on the ERC-20
workload.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eth_abi import encode as abi_encode  # noqa: E402
from sha3 import keccak_256  # noqa: E402

from agents.evm.backend import Account, StateDiff  # noqa: E402
from agents.evm.memory_backend import MemoryBackend  # noqa: E402
from agents.evm.processing import apply_transaction  # noqa: E402
from agents.evm.store import MerkleStore  # noqa: E402
from agents.evm.transactions import (  # noqa: E402
    Transaction,
    address_of_key,
    decode_transaction,
    encode_transaction,
    recover_sender,
    sign_transaction,
)
from agents.evm.vm import BlockEnv  # noqa: E402

try:
    from agents.evm.trace import trace_transaction
except ImportError:  # another engineer's module; the benchmark prints "n/a" without it
    trace_transaction = None  # type: ignore[assignment]

REPO = Path(__file__).resolve().parents[1]
FIXTURE_SOURCE = "tests/forge/fixtures/DifferentialTokens.sol"
ARTIFACT_DIR = REPO / "out" / "DifferentialTokens.sol"

FAST_TARGET_TPS = 2_000
TRACE_TARGET_STEPS = 50_000
CHAIN_ID = 1
BLOCK = BlockEnv(coinbase=b"\xc0" * 20, number=1, timestamp=1, gas_limit=1_000_000_000,
                 base_fee=7, chain_id=CHAIN_ID)  # fmt: skip
DEPLOYER_KEY = (1).to_bytes(32, "big")
SENDER_COUNT = 50
TRANSFER_GAS = 200_000
PYEVM_TXS_PER_BLOCK = 20
BATCHED_APPLIES_PER_WRITE = 100  # MerkleStore option: one LMDB write per block-sized batch


def selector(signature: str) -> bytes:
    return keccak_256(signature.encode()).digest()[:4]


def load_init_code(contract: str) -> bytes:
    path = ARTIFACT_DIR / f"{contract}.json"
    if not path.exists():
        forge = str(REPO / "node_modules/.bin/forge")
        subprocess.run([forge, "build", FIXTURE_SOURCE], cwd=REPO, check=True, capture_output=True)
    artifact = json.loads(path.read_text())
    return bytes.fromhex(artifact["bytecode"]["object"].removeprefix("0x"))


# --- workload ------------------------------------------------------------------------


@dataclass
class Erc20Workload:
    """Keys, pre-signed raw transfers (per batch) and the setup transactions."""

    sender_keys: list[bytes]
    senders: list[bytes]
    token: bytes
    setup_raw: list[bytes]
    batches: list[list[bytes]]  # batch 0 is the warm-up
    transfer_calls: list[tuple[bytes, bytes]] = field(default_factory=list)  # (sender, data)


def build_erc20_workload(transfers: int, batches: int) -> Erc20Workload:
    """Setup (deploy + mints) and ``batches`` batches of ``transfers`` signed transfers."""
    sender_keys = [(1000 + i).to_bytes(32, "big") for i in range(SENDER_COUNT)]
    senders = [address_of_key(key) for key in sender_keys]
    deployer = address_of_key(DEPLOYER_KEY)
    from agents.evm.instructions.system import compute_contract_address

    token = compute_contract_address(deployer, 0)

    def signed(key: bytes, nonce: int, to: bytes | None, data: bytes, gas: int) -> bytes:
        tx = Transaction(tx_type=2, chain_id=CHAIN_ID, nonce=nonce, gas_limit=gas, to=to, data=data,
                         max_fee_per_gas=10**10, max_priority_fee_per_gas=1)  # fmt: skip
        return encode_transaction(sign_transaction(tx, key, CHAIN_ID))

    setup = [signed(DEPLOYER_KEY, 0, None, load_init_code("DiffERC20"), 3_000_000)]
    mint = selector("mint(address,uint256)")
    for index, sender in enumerate(senders):
        data = mint + abi_encode(["address", "uint256"], [sender, 10**30])
        setup.append(signed(DEPLOYER_KEY, index + 1, token, data, 300_000))
    transfer = selector("transfer(address,uint256)")
    nonces = [0] * SENDER_COUNT
    all_batches = []
    calls = []
    for _ in range(batches):
        batch = []
        for i in range(transfers):
            s = i % SENDER_COUNT
            data = transfer + abi_encode(
                ["address", "uint256"], [senders[(s + 7) % SENDER_COUNT], 1 + i]
            )
            batch.append(signed(sender_keys[s], nonces[s], token, data, TRANSFER_GAS))
            calls.append((senders[s], data))
            nonces[s] += 1
        all_batches.append(batch)
    return Erc20Workload(sender_keys, senders, token, setup, all_batches, calls)


def genesis_diff(workload: Erc20Workload) -> StateDiff:
    diff = StateDiff()
    for address in [address_of_key(DEPLOYER_KEY), *workload.senders]:
        diff.accounts[address] = Account(0, 10**24)
    return diff


# --- our EVM -------------------------------------------------------------------------


@dataclass
class Split:
    """Seconds spent per phase over a batch."""

    decode: float = 0.0
    recover: float = 0.0
    execute: float = 0.0
    root: float = 0.0


@dataclass
class Rate:
    """Items per second by CPU time of this thread and by wall-clock time."""

    cpu: float
    wall: float


class Stopwatch:
    """Measures a region in CPU seconds (this thread) and wall-clock seconds at once."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.wall = 0.0
        self._cpu_start = self._wall_start = 0.0

    def __enter__(self) -> Stopwatch:
        self._wall_start = time.perf_counter()
        self._cpu_start = time.thread_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu += time.thread_time() - self._cpu_start
        self.wall += time.perf_counter() - self._wall_start

    def rate(self, items: int) -> Rate:
        return Rate(items / self.cpu, items / self.wall)


class TimedBackend:
    """Forwards to a backend, timing ``apply`` (diff application + state root)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.apply_seconds = 0.0
        # The read methods are bound once, so the wrapper adds no per-read cost.
        self.get_account = inner.get_account
        self.get_storage = inner.get_storage
        self.get_code = inner.get_code
        self.state_root = inner.state_root

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def apply(self, diff: StateDiff) -> bytes:
        start = time.thread_time()
        root = self.inner.apply(diff)
        self.apply_seconds += time.thread_time() - start
        return root


def run_ours_batch(backend: TimedBackend, raws: list[bytes]) -> tuple[Rate, Split]:
    """Decode, recover, execute and root every raw transaction; returns (tx/s, split).

    The split is in CPU seconds of this thread.
    """
    split = Split()
    backend.apply_seconds = 0.0
    clock = time.thread_time
    watch = Stopwatch()
    with watch:
        _run_ours_batch(backend, raws, split, clock)
    split.root = backend.apply_seconds
    split.execute -= backend.apply_seconds
    return watch.rate(len(raws)), split


def _run_ours_batch(backend: TimedBackend, raws: list[bytes], split: Split, clock: Any) -> None:
    for raw in raws:
        t0 = clock()
        tx = decode_transaction(raw)
        t1 = clock()
        sender = recover_sender(tx, CHAIN_ID)
        t2 = clock()
        result = apply_transaction(backend, BLOCK, tx, sender)  # type: ignore[arg-type]
        t3 = clock()
        if not result.success:
            raise RuntimeError(f"transfer failed: {result.error!r}")
        split.decode += t1 - t0
        split.recover += t2 - t1
        split.execute += t3 - t2


def ours_erc20(workload: Erc20Workload, backends: list[Any]) -> list[tuple[list[Rate], Split]]:
    """For each backend: tx/s of each timed batch and the split of its median batch.

    The backends run batch by batch in turn (round robin), so that load from other
    processes on the machine hits them alike.
    """
    timed_backends = [TimedBackend(backend) for backend in backends]
    for timed in timed_backends:
        timed.apply(genesis_diff(workload))
        for raw in workload.setup_raw:
            tx = decode_transaction(raw)
            sender = recover_sender(tx, CHAIN_ID)
            assert apply_transaction(timed, BLOCK, tx, sender).success  # type: ignore[arg-type]
    rates: list[list[Rate]] = [[] for _ in backends]
    splits: list[list[Split]] = [[] for _ in backends]
    for index, batch in enumerate(workload.batches):
        for position, timed in enumerate(timed_backends):
            rate, split = run_ours_batch(timed, batch)
            if index == 0:
                continue  # warm-up
            rates[position].append(rate)
            splits[position].append(split)
    results = []
    for backend_rates, backend_splits in zip(rates, splits, strict=True):
        order = sorted(range(len(backend_rates)), key=lambda i: backend_rates[i].cpu)
        results.append((backend_rates, backend_splits[order[len(order) // 2]]))
    return results


# --- pyrevm --------------------------------------------------------------------------


def pyrevm_erc20(workload: Erc20Workload, transfers: int) -> list[Rate] | None:
    try:
        import pyrevm
    except ImportError:
        return None
    evm = pyrevm.EVM(spec_id="CANCUN")
    deployer = "0x" + address_of_key(DEPLOYER_KEY).hex()
    evm.set_balance(deployer, 10**24)
    token = evm.deploy(deployer, load_init_code("DiffERC20"), gas=3_000_000)
    assert token.lower() == "0x" + workload.token.hex()
    mint = selector("mint(address,uint256)")
    for sender in workload.senders:
        evm.message_call(
            deployer, token, mint + abi_encode(["address", "uint256"], [sender, 10**30])
        )
    calls = [("0x" + s.hex(), data) for s, data in workload.transfer_calls]
    rates = []
    for index in range(len(workload.batches)):
        batch = calls[index * transfers : (index + 1) * transfers]
        with Stopwatch() as watch:
            for caller, data in batch:
                evm.message_call(caller, token, data, gas=TRANSFER_GAS)  # type: ignore[arg-type]
        if index:
            rates.append(watch.rate(len(batch)))
    return rates


# --- py-evm --------------------------------------------------------------------------


def pyevm_chain(workload: Erc20Workload) -> Any:
    from eth.vm.forks import CancunVM
    from eth_tester.backends.pyevm.main import setup_tester_chain

    genesis = {a: {"balance": 10**24, "nonce": 0, "code": b"", "storage": {}}
               for a in [address_of_key(DEPLOYER_KEY), *workload.senders]}  # fmt: skip
    _, chain = setup_tester_chain(
        genesis_params={"gas_limit": 30_000_000},
        genesis_state=genesis,
        vm_configuration=((0, CancunVM),),
    )
    return chain


def pyevm_apply_raw(chain: Any, raws: list[bytes]) -> Stopwatch:
    """Decode and apply ``raws`` (mining a block whenever the gas runs low); time taken."""
    builder = chain.get_vm().get_transaction_builder()
    watch = Stopwatch()
    for index, raw in enumerate(raws):
        # py-evm rebuilds the pending block's transaction trie on every apply (quadratic
        # in the block size): mine small blocks, outside the timed region.
        if index % PYEVM_TXS_PER_BLOCK == 0:
            chain.mine_block(mix_hash=os.urandom(32))
        with watch:
            tx = builder.decode(raw)
            _, receipt, computation = chain.apply_transaction(tx)
        if computation.is_error:
            raise RuntimeError(f"py-evm transfer failed: {computation.error!r}")
    return watch


def pyevm_erc20(workload: Erc20Workload, chain_id_fixup: bool = True) -> list[Rate] | None:
    """py-evm needs its own chain id in the signatures: re-sign the same transfers."""
    try:
        chain = pyevm_chain(workload)
    except ImportError:
        return None
    chain_id = chain.chain_id

    def resign(raw: bytes) -> bytes:
        tx = decode_transaction(raw)
        key_by_sender = dict(zip(workload.senders, workload.sender_keys, strict=True))
        key_by_sender[address_of_key(DEPLOYER_KEY)] = DEPLOYER_KEY
        sender = recover_sender(tx, CHAIN_ID)
        unsigned = replace(tx, chain_id=chain_id, v=0, r=0, s=0)
        return encode_transaction(sign_transaction(unsigned, key_by_sender[sender], chain_id))

    pyevm_apply_raw(chain, [resign(raw) for raw in workload.setup_raw])
    rates = []
    for index, batch in enumerate(workload.batches):
        resigned = [resign(raw) for raw in batch]
        watch = pyevm_apply_raw(chain, resigned)
        if index:
            rates.append(watch.rate(len(batch)))
    return rates


# --- opcodes/s -----------------------------------------------------------------------


@dataclass
class LoopResult:
    instructions: int
    ours: list[Rate]
    pyrevm: list[Rate] | None
    pyevm: list[Rate] | None


LOOP_ADDRESS = bytes.fromhex("aa" * 20)
LOOP_CALLER = address_of_key((7).to_bytes(32, "big"))


def loop_case(iterations: int) -> tuple[bytes, bytes]:
    """(runtime code of LoopBench, calldata of run(iterations))."""
    from agents.evm.processing import apply_transaction as apply

    backend = MemoryBackend()
    backend.set_account(LOOP_CALLER, balance=10**24)
    tx = Transaction(nonce=0, gas_limit=3_000_000, to=None, data=load_init_code("LoopBench"))
    result = apply(backend, BlockEnv(chain_id=CHAIN_ID), tx, LOOP_CALLER)
    assert result.success and result.contract_address
    code = backend.get_code(backend.accounts[result.contract_address].code_hash)
    return code, selector("run(uint256)") + abi_encode(["uint256"], [iterations])


def loop_backend(code: bytes) -> MemoryBackend:
    backend = MemoryBackend()
    backend.set_account(LOOP_CALLER, balance=10**24)
    backend.set_account(LOOP_ADDRESS, nonce=1, code=code)
    return backend


def unfused_loop_rates(iterations: int, repetitions: int) -> list[Rate] | None:
    """Our loop rates with fused runs disabled (``ALTROLLUP_EVM_FUSE=0``, a child process)."""
    command = [sys.executable, __file__, "--loop-only", "--loop-iterations", str(iterations),
               "--repetitions", str(repetitions)]  # fmt: skip
    env = {**os.environ, "ALTROLLUP_EVM_FUSE": "0"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None
    return [Rate(cpu, wall) for cpu, wall in json.loads(done.stdout.strip().splitlines()[-1])]


def measure_loop(iterations: int, repetitions: int, others: bool = True) -> LoopResult:
    code, calldata = loop_case(iterations)
    tx = Transaction(nonce=0, gas_limit=900_000_000, to=LOOP_ADDRESS, data=calldata)
    block = BlockEnv(gas_limit=1_000_000_000, chain_id=CHAIN_ID)
    counter = [0]

    def count(frame: Any, opcode: int) -> None:
        counter[0] += 1

    assert apply_transaction(loop_backend(code), block, tx, LOOP_CALLER, step_hook=count).success
    instructions = counter[0]
    ours = []
    for index in range(repetitions + 1):
        backend = loop_backend(code)
        with Stopwatch() as watch:
            result = apply_transaction(backend, block, tx, LOOP_CALLER)
        assert result.success
        if index:
            ours.append(watch.rate(instructions))
    if not others:
        return LoopResult(instructions, ours, None, None)
    revm = pyrevm_loop(code, calldata, instructions, repetitions)
    return LoopResult(
        instructions, ours, revm, pyevm_loop(code, calldata, instructions, repetitions)
    )


def pyrevm_loop(
    code: bytes, calldata: bytes, instructions: int, repetitions: int
) -> list[Rate] | None:
    try:
        import pyrevm
    except ImportError:
        return None
    rates = []
    for index in range(repetitions + 1):
        evm = pyrevm.EVM(spec_id="CANCUN")
        evm.set_balance("0x" + LOOP_CALLER.hex(), 10**24)
        evm.insert_account_info("0x" + LOOP_ADDRESS.hex(), pyrevm.AccountInfo(nonce=1, code=code))
        with Stopwatch() as watch:
            evm.message_call(
                "0x" + LOOP_CALLER.hex(), "0x" + LOOP_ADDRESS.hex(), calldata, gas=900_000_000
            )
        if index:
            rates.append(watch.rate(instructions))
    return rates


def pyevm_loop(
    code: bytes, calldata: bytes, instructions: int, repetitions: int
) -> list[Rate] | None:
    try:
        from eth.vm.forks import CancunVM
        from eth_keys import keys as eth_keys
        from eth_tester.backends.pyevm.main import setup_tester_chain
    except ImportError:
        return None
    key = eth_keys.PrivateKey((7).to_bytes(32, "big"))
    rates = []
    for index in range(repetitions + 1):
        genesis = {
            LOOP_CALLER: {"balance": 10**24, "nonce": 0, "code": b"", "storage": {}},
            LOOP_ADDRESS: {"balance": 0, "nonce": 1, "code": code, "storage": {}},
        }
        _, chain = setup_tester_chain(
            genesis_params={"gas_limit": 30_000_000},
            genesis_state=genesis,
            vm_configuration=((0, CancunVM),),
        )
        vm = chain.get_vm()
        unsigned = vm.create_unsigned_transaction(
            nonce=0,
            gas_price=vm.state.base_fee,
            gas=29_000_000,
            to=LOOP_ADDRESS,
            value=0,
            data=calldata,
        )
        signed = unsigned.as_signed_transaction(key, chain_id=chain.chain_id)
        with Stopwatch() as watch:
            _, _, computation = chain.apply_transaction(signed)
        assert computation.is_success, computation.error
        if index:
            rates.append(watch.rate(instructions))
    return rates


# --- trace mode ----------------------------------------------------------------------


def trace_erc20(
    workload: Erc20Workload, tmp: str, transfers: int, repetitions: int
) -> list[Rate] | None:
    """Trace-mode steps/s on MerkleStore: ``repetitions`` batches of ``transfers``
    transfers after a warm-up batch (each traced transaction is also applied)."""
    if trace_transaction is None:
        return None
    with MerkleStore(os.path.join(tmp, "trace-erc20")) as store:
        store.apply(genesis_diff(workload))
        for raw in workload.setup_raw:
            tx = decode_transaction(raw)
            assert apply_transaction(store, BLOCK, tx, recover_sender(tx, CHAIN_ID)).success
        raws = workload.batches[0][: transfers * (repetitions + 1)]
        if len(raws) < transfers * (repetitions + 1):
            raise ValueError("--trace-transfers x (--repetitions + 1) exceeds --transfers")
        decoded = [decode_transaction(raw) for raw in raws]
        pairs = [(tx, recover_sender(tx, CHAIN_ID)) for tx in decoded]
        rates = []
        for index in range(repetitions + 1):
            steps = 0
            with Stopwatch() as watch:
                for tx, sender in pairs[index * transfers : (index + 1) * transfers]:
                    steps += trace_transaction(store, BLOCK, tx, sender).step_count
            if index:  # batch 0 is the warm-up
                rates.append(watch.rate(steps))
        return rates


def trace_loop(iterations: int, tmp: str, repetitions: int) -> list[Rate] | None:
    """Trace-mode steps/s of ``LoopBench.run(iterations)``, ``repetitions`` runs."""
    if trace_transaction is None:
        return None
    _, calldata = loop_case(iterations)
    block = BlockEnv(gas_limit=1_000_000_000, chain_id=CHAIN_ID)
    with MerkleStore(os.path.join(tmp, "trace-loop")) as store:
        genesis = StateDiff()
        genesis.accounts[LOOP_CALLER] = Account(0, 10**24)
        store.apply(genesis)
        deploy = Transaction(
            nonce=0, gas_limit=3_000_000, to=None, data=load_init_code("LoopBench")
        )
        address = apply_transaction(store, block, deploy, LOOP_CALLER).contract_address
        assert address is not None
        rates = []
        for index in range(repetitions + 1):
            run = Transaction(nonce=1 + index, gas_limit=900_000_000, to=address, data=calldata)
            with Stopwatch() as watch:
                trace = trace_transaction(store, block, run, LOOP_CALLER)
            if index:
                rates.append(watch.rate(trace.step_count))
        return rates


# --- report --------------------------------------------------------------------------


def median(values: list[Rate] | None) -> Rate | None:
    """Medians of the CPU and of the wall-clock rates (taken separately)."""
    if not values:
        return None
    return Rate(statistics.median(v.cpu for v in values), statistics.median(v.wall for v in values))


def cpu(rate: Rate | None) -> float | None:
    return None if rate is None else rate.cpu


def wall(rate: Rate | None) -> float | None:
    return None if rate is None else rate.wall


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or theirs == 0:
        return "n/a"
    return f"{ours / theirs:.3g}x"


def target(value: float | None, goal: int) -> str:
    if value is None:
        return f">= {goal:,} (n/a)"
    return f">= {goal:,} ({'met' if value >= goal else f'{value / goal:.0%} of target'})"


def print_table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def profile_fast_mode(workload: Erc20Workload, use_store: bool, tmp: str) -> None:
    """cProfile (and pyinstrument if installed) of one batch of our fast mode."""
    backend: Any
    if use_store:
        backend = MerkleStore(os.path.join(tmp, "profile-store"))
    else:
        backend = MemoryBackend()
    timed = TimedBackend(backend)
    timed.apply(genesis_diff(workload))
    for raw in workload.setup_raw:
        tx = decode_transaction(raw)
        apply_transaction(timed, BLOCK, tx, recover_sender(tx, CHAIN_ID))  # type: ignore[arg-type]
    run_ours_batch(timed, workload.batches[0])  # warm-up
    profiler = cProfile.Profile()
    profiler.enable()
    run_ours_batch(timed, workload.batches[1])
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    backend_name = "MerkleStore" if use_store else "MemoryBackend"
    print(f"\n=== cProfile, fast mode, {backend_name}, by tottime ===")
    print(out.getvalue())
    try:
        from pyinstrument import Profiler
    except ImportError:
        return
    profiler2 = Profiler(interval=0.0005)
    profiler2.start()
    run_ours_batch(timed, workload.batches[2])
    profiler2.stop()
    print(profiler2.output_text(unicode=False, color=False, show_all=False))
    if use_store:
        backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transfers", type=int, default=1000, help="transfers per timed batch")
    parser.add_argument("--repetitions", type=int, default=5, help="timed batches (median)")
    parser.add_argument("--pyevm-transfers", type=int, default=150, help="batch size for py-evm")
    parser.add_argument("--loop-iterations", type=int, default=3000)
    parser.add_argument("--trace-transfers", type=int, default=40)
    parser.add_argument(
        "--profile", action="store_true", help="print cProfile/pyinstrument reports"
    )
    parser.add_argument("--loop-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loop_only:  # child process of unfused_loop_rates(): print our loop rates only
        ours = measure_loop(args.loop_iterations, args.repetitions, others=False).ours
        print(json.dumps([[rate.cpu, rate.wall] for rate in ours]))
        return

    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    batches = args.repetitions + 1
    workload = build_erc20_workload(args.transfers, batches)
    with tempfile.TemporaryDirectory(prefix="bench-evm-") as tmp:
        batched_path = os.path.join(tmp, "store-batched")
        with (
            MerkleStore(os.path.join(tmp, "store")) as store,
            MerkleStore(batched_path, applies_per_write=BATCHED_APPLIES_PER_WRITE) as batched,
        ):
            (
                (memory_rates, memory_split),
                (store_rates, store_split),
                (batched_rates, batched_split),
            ) = ours_erc20(workload, [MemoryBackend(), store, batched])
        revm_rates = pyrevm_erc20(workload, args.transfers)
        small = build_erc20_workload(args.pyevm_transfers, batches)
        pyevm_rates = pyevm_erc20(small)
        loop = measure_loop(args.loop_iterations, args.repetitions)
        loop_unfused = median(unfused_loop_rates(args.loop_iterations, args.repetitions))
        trace_erc20_rate = median(
            trace_erc20(workload, tmp, args.trace_transfers, args.repetitions)
        )
        trace_loop_rate = median(trace_loop(args.loop_iterations // 3, tmp, args.repetitions))
        if args.profile:
            profile_fast_mode(workload, use_store=False, tmp=tmp)
            profile_fast_mode(workload, use_store=True, tmp=tmp)

    memory, store_tps = median(memory_rates), median(store_rates)
    revm, pyevm = median(revm_rates), median(pyevm_rates)
    loop_ours, loop_revm, loop_pyevm = median(loop.ours), median(loop.pyrevm), median(loop.pyevm)
    print(
        f"\nRollup EVM benchmark - one run, median of {args.repetitions} batches after a "
        f"warm-up; single core; python {sys.version.split()[0]}; load average at start "
        f"{load_at_start:.1f}, at end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores. "
        "'rate (CPU)' divides by this thread's CPU seconds (the one-core figure; ratios and "
        "targets use it), 'rate (wall)' by wall-clock seconds (lower when other processes "
        "share the core)."
    )
    print(
        f"ERC-20: OpenZeppelin DiffERC20.transfer, {args.transfers} signed EIP-1559 txs per "
        f"batch ({args.pyevm_transfers} for py-evm), {SENDER_COUNT} senders; LoopBench "
        f"run({args.loop_iterations}) = {loop.instructions:,} instructions\n"
    )
    erc20 = "ERC-20 tx/s"
    rows = [
        # Ethereum's MPT root (state tests), not the rollup's committed state: no target.
        (f"{erc20}, ours fast, MemoryBackend (MPT root/tx)", memory, revm, pyevm, None),
        (
            f"{erc20}, ours fast, MerkleStore (SMT root/tx, each tx committed)",
            store_tps,
            revm,
            pyevm,
            FAST_TARGET_TPS,
        ),
        (
            f"{erc20}, ours fast, MerkleStore, commit per {BATCHED_APPLIES_PER_WRITE} tx",
            median(batched_rates),
            revm,
            pyevm,
            FAST_TARGET_TPS,
        ),  # fmt: skip
        (f"{erc20}, pyrevm in-process (no sig, no root)", revm, revm, pyevm, None),
        (f"{erc20}, py-evm (decode+sig+exec+root)", pyevm, revm, pyevm, None),
        ("opcodes/s, ours fast (fused runs), LoopBench", loop_ours, loop_revm, loop_pyevm, None),
        ("opcodes/s, ours fast, unfused (FUSE=0)", loop_unfused, loop_revm, loop_pyevm, None),
        ("opcodes/s, pyrevm, LoopBench", loop_revm, loop_revm, loop_pyevm, None),
        ("opcodes/s, py-evm, LoopBench", loop_pyevm, loop_revm, loop_pyevm, None),
        (
            "trace steps/s, ours, ERC-20 (MerkleStore)",
            trace_erc20_rate,
            None,
            None,
            TRACE_TARGET_STEPS,
        ),
        (
            "trace steps/s, ours, LoopBench (MerkleStore)",
            trace_loop_rate,
            None,
            None,
            TRACE_TARGET_STEPS,
        ),
    ]
    table = [
        (
            name,
            fmt(cpu(value)),
            fmt(wall(value)),
            ratio(cpu(value), cpu(versus_revm)) if versus_revm else "",
            ratio(cpu(value), cpu(versus_pyevm)) if versus_pyevm else "",
            target(cpu(value), goal) if goal else "",
        )
        for name, value, versus_revm, versus_pyevm, goal in rows
    ]
    print_table(
        table,
        ("measurement", "rate (CPU)", "rate (wall)", "vs pyrevm", "vs py-evm", "target (CPU)"),
    )

    print(
        "\nWhere a fast-mode ERC-20 transfer's time goes (median batch, CPU microseconds per tx):"
    )
    split_rows = []
    for name, split, tps in (
        ("MemoryBackend", memory_split, memory),
        ("MerkleStore", store_split, store_tps),
        (f"MerkleStore, commit/{BATCHED_APPLIES_PER_WRITE}", batched_split, median(batched_rates)),
    ):
        n = args.transfers
        parts = [split.decode, split.recover, split.execute, split.root]
        total = sum(parts)
        split_rows.append(
            (
                name,
                *(f"{p / n * 1e6:,.0f} ({p / total:.0%})" for p in parts),
                f"{1e6 / tps.cpu:,.0f}" if tps else "n/a",
            )
        )
    print_table(
        split_rows,
        (
            "backend",
            "decode",
            "recover (libsecp256k1)",
            "execute",
            "root (backend.apply)",
            "total/tx",
        ),  # fmt: skip
    )
    print(f"\nbenchmark wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
