"""A load run: plan, fund, pre-sign, send at the offered rate, follow receipts.

The sender loop sends every transaction that is due at the offered rate (``tps``)
in one JSON-RPC batch (at most ``batch_size`` a request) and stamps each with the
time its batch left. A tracker thread follows new blocks (``eth_blockNumber`` +
``eth_getBlockByNumber``) and stamps each of the run's transactions with the time its
block was first seen, then reads its receipt status. Latency is the difference, so
it includes the client's polling interval (10 ms by default).

Nonces are counted per sender from its pending nonce, in send order; a sender's
transactions go out in nonce order, so a rejected one leaves the sender's later ones
waiting forever: they end as "no receipt" when ``receipt_timeout`` expires.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from agents.l1.anvil import funded_private_keys
from agents.load.chain import Chain, Fees, LoadError, to_int
from agents.load.progress import NoProgress, ProgressView
from agents.load.report import LoadReport
from agents.load.scenarios import SCENARIOS, PlannedCall, RunShape, Scenario, run_tag
from agents.load.signing import SignedTx, Signer, UnsignedTx, checksum, derive_key

#: Account 0 of the standard test mnemonic: funded by anvil on L1 and by the devnet on L2.
DEFAULT_KEY = funded_private_keys(1)[0]
DEPLOY_GAS_BUDGET = 6_000_000  # what funding reserves for deploying a scenario contract
TRANSFER_GAS = 21_000
RETRY_PAUSE = 0.2  # seconds between retries after an RPC failure while following blocks

NOT_SENT, ACCEPTED, REJECTED, UNKNOWN = 0, 1, 2, 3


@dataclass(frozen=True)
class LoadConfig:
    """Parameters of one run (the CLI options)."""

    rpc: str
    scenario: str
    tps: float
    duration: float
    accounts: int = 8
    key: bytes = bytes.fromhex(DEFAULT_KEY[2:])
    contract: str | None = None
    batch_size: int = 200
    receipt_timeout: float = 60.0
    poll_interval: float = 0.01
    #: Where to send the run's transactions instead of ``rpc`` (e.g. aggregators); a
    #: sender always uses the same one, so its nonces arrive in order.
    send_rpcs: tuple[str, ...] = ()

    def check(self) -> Scenario:
        """The scenario, after checking every parameter; :class:`LoadError` otherwise."""
        scenario = SCENARIOS.get(self.scenario)
        if scenario is None:
            known = ", ".join(sorted(SCENARIOS))
            raise LoadError(f"unknown scenario {self.scenario!r} (known: {known})")
        if not self.tps > 0:
            raise LoadError("--tps must be positive")
        if not self.duration > 0:
            raise LoadError("--duration must be positive")
        if self.accounts < scenario.min_accounts:
            raise LoadError(f"{scenario.name} needs at least {scenario.min_accounts} accounts")
        if scenario.even_accounts and self.accounts % 2:
            raise LoadError(f"{scenario.name} pairs its senders: give an even --accounts")
        if not 1 <= self.batch_size <= 10_000:
            raise LoadError("--batch-size must be between 1 and 10000")
        if self.count < 1:
            raise LoadError("--tps x --duration is less than one transaction")
        return scenario

    @property
    def count(self) -> int:
        return round(self.tps * self.duration)


@dataclass
class _Track:
    """Per-transaction timestamps and outcomes, shared by the two threads."""

    n: int
    submitted: list[float] = field(init=False)
    included: list[float] = field(init=False)
    status: list[int] = field(init=False)  # -1 unknown, 0 reverted, 1 success
    sent: list[int] = field(init=False)  # NOT_SENT, ACCEPTED, REJECTED or UNKNOWN
    accepted: int = 0
    rejected: int = 0
    unknown: int = 0  # the send request failed: the node may or may not have them
    confirmed: int = 0
    reverted: int = 0
    rpc_errors: int = 0
    next_block: int = 0  # the next block the tracker will scan
    first_block: int = 0
    last_block: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.submitted = [0.0] * self.n
        self.included = [0.0] * self.n
        self.status = [-1] * self.n
        self.sent = [NOT_SENT] * self.n


def _ether(wei: int) -> str:
    return f"{wei / 10**18:,.4f} ETH"


def _fund(
    chain: Chain,
    funder: Signer,
    senders: list[Signer],
    calls: list[PlannedCall],
    fees: Fees,
    deploying: bool,
) -> int:
    """Top every sender up to what its calls can cost; returns the wei sent."""
    needs = [0] * len(senders)
    for call in calls:
        needs[call.sender] += call.gas * fees.max_fee_per_gas + call.value
    answers = chain.batch([("eth_getBalance", [s.address, "latest"]) for s in senders])
    balances = [to_int(a.get("result", "0x0")) for a in answers]
    top_ups = [max(0, need - have) for need, have in zip(needs, balances, strict=True)]
    total = sum(top_ups)
    reserve = (TRANSFER_GAS * len(senders) + (DEPLOY_GAS_BUDGET if deploying else 0)) * (
        fees.max_fee_per_gas
    )
    available = chain.balance(funder.address)
    if available < total + reserve:
        raise LoadError(
            f"the funding key {funder.address} holds {_ether(available)}; this run needs about "
            f"{_ether(total + reserve)} ({len(calls)} transactions from {len(senders)} senders "
            f"at up to {fees.max_fee_per_gas / 1e9:.2f} gwei): fund it or lower --tps/--duration"
        )
    (nonce,) = chain.nonces([funder.address])
    chain_id = chain.chain_id()
    signed: list[SignedTx] = []
    for sender, amount in zip(senders, top_ups, strict=True):
        if amount == 0:
            continue
        transfer = UnsignedTx(
            chain_id,
            nonce,
            fees.max_priority_fee_per_gas,
            fees.max_fee_per_gas,
            TRANSFER_GAS,
            sender.address_bytes,
            amount,
            b"",
        )
        signed.append(funder.sign(transfer))
        nonce += 1
    if signed:
        answers = chain.batch([("eth_sendRawTransaction", ["0x" + s.raw.hex()]) for s in signed])
        for answer in answers:
            if "error" in answer:
                message = (answer.get("error") or {}).get("message")
                raise LoadError(f"funding the senders failed: {message}")
        for tx in signed:
            chain.wait_receipt(tx.tx_hash)
    return total


def _sign_all(
    chain: Chain, senders: list[Signer], calls: list[PlannedCall], contract: str, fees: Fees
) -> list[SignedTx]:
    nonces = chain.nonces([s.address for s in senders])
    chain_id = chain.chain_id()
    to = bytes.fromhex(contract[2:])
    signed = []
    for call in calls:
        nonce = nonces[call.sender]
        nonces[call.sender] = nonce + 1
        tx = UnsignedTx(
            chain_id,
            nonce,
            fees.max_priority_fee_per_gas,
            fees.max_fee_per_gas,
            call.gas,
            to,
            call.value,
            call.data,
        )
        signed.append(senders[call.sender].sign(tx))
    return signed


def _track_blocks(
    chain: Chain,
    index: dict[bytes, int],
    track: _Track,
    start_block: int,
    poll_interval: float,
    stop: threading.Event,
    found_queue: queue.SimpleQueue[list[int]],
) -> None:
    """Stamp the run's transactions with the time their block was first seen and hand
    them to the status reader."""
    track.next_block = start_block + 1
    while not stop.is_set():
        try:
            track.next_block = _scan_blocks(chain, index, track, track.next_block, found_queue)
        except LoadError:
            # an overloaded node may time out: count it, wait, and scan again
            with track.lock:
                track.rpc_errors += 1
            time.sleep(RETRY_PAUSE)
            continue
        time.sleep(poll_interval)


def _scan_blocks(
    chain: Chain,
    index: dict[bytes, int],
    track: _Track,
    next_block: int,
    found_queue: queue.SimpleQueue[list[int]],
) -> int:
    """Stamp the run's transactions in blocks ``next_block..head``; returns the next
    block to scan (a block the node does not serve yet is scanned again later)."""
    head = chain.block_number()
    while next_block <= head:
        chunk = list(range(next_block, min(head, next_block + 63) + 1))
        answers = chain.batch([("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
        seen = time.monotonic()
        found: list[int] = []
        for number, answer in zip(chunk, answers, strict=True):
            block = answer.get("result")
            if not isinstance(block, dict):
                break
            next_block = number + 1
            for tx_hash in block.get("transactions", []):
                key = bytes.fromhex(str(tx_hash)[2:]) if isinstance(tx_hash, str) else b""
                i = index.get(key)
                if i is not None and track.included[i] == 0.0:
                    track.included[i] = seen
                    found.append(i)
            if found and track.first_block == 0:
                track.first_block = number
            if found:
                track.last_block = number
        if found:
            found_queue.put(found)
        if next_block <= chunk[-1]:
            break  # a block was missing: try again at the next scan
    return next_block


def _read_statuses(
    chain: Chain,
    hashes: list[bytes],
    track: _Track,
    stop: threading.Event,
    found_queue: queue.SimpleQueue[list[int]],
) -> None:
    """Read the receipt status of every included transaction, off the timing path."""
    while not stop.is_set() or not found_queue.empty():
        try:
            found = found_queue.get(timeout=0.05)
        except queue.Empty:
            continue
        while not found_queue.empty() and len(found) < 500:
            found.extend(found_queue.get())
        try:
            _read_chunk(chain, hashes, found, track)
        except LoadError:
            with track.lock:
                track.rpc_errors += 1
            found_queue.put([i for i in found if track.status[i] == -1])
            time.sleep(RETRY_PAUSE)


def _read_chunk(chain: Chain, hashes: list[bytes], found: list[int], track: _Track) -> None:
    for start in range(0, len(found), 500):
        chunk = found[start : start + 500]
        answers = chain.batch(
            [("eth_getTransactionReceipt", ["0x" + hashes[i].hex()]) for i in chunk]
        )
        with track.lock:
            for i, answer in zip(chunk, answers, strict=True):
                receipt = answer.get("result")
                if not isinstance(receipt, dict) or track.status[i] != -1:
                    continue  # not served yet (read again later) or already counted
                ok = to_int(receipt.get("status", "0x1")) == 1
                track.status[i] = 1 if ok else 0
                track.confirmed += 1
                track.reverted += 0 if ok else 1


def run_load(
    config: LoadConfig,
    progress: ProgressView | None = None,
    say: Callable[[str], None] | None = None,
) -> LoadReport:
    """Run ``config`` against its RPC and return what was measured."""
    scenario = config.check()
    view = progress if progress is not None else NoProgress()
    note = say if say is not None else (lambda _message: None)
    chain = Chain(config.rpc)
    chain_id = chain.chain_id()
    routes = [chain]
    if config.send_rpcs:
        routes = [Chain(url) for url in config.send_rpcs]
        for route in routes:
            try:
                route_chain = route.chain_id()
            except LoadError as error:
                raise LoadError(f"--send-rpc {route.url}: {error}") from None
            if route_chain != chain_id:
                raise LoadError(
                    f"--send-rpc {route.url} serves chain {route_chain}, --rpc serves {chain_id}"
                )
    funder = Signer(config.key)
    senders = [Signer(derive_key(config.key, i)) for i in range(config.accounts)]
    fees = chain.fees()
    shape = RunShape(count=config.count, accounts=config.accounts)
    calls = scenario.plan(shape, [s.address for s in senders], run_tag())
    note(
        f"chain {chain_id}: {scenario.name}, {len(calls)} transactions from "
        f"{config.accounts} senders at {config.tps:g} tx/s"
    )

    funded = _fund(chain, funder, senders, calls, fees, deploying=config.contract is None)
    if funded:
        note(f"funded {config.accounts} senders with {_ether(funded)} from {funder.address}")
    if config.contract is not None:
        contract = config.contract
        try:
            code = chain.code(contract)
        except ValueError:
            raise LoadError(f"--contract {contract!r} is not an address") from None
        if not code:
            raise LoadError(f"no contract at {contract} on chain {chain_id}")
    else:
        contract = checksum(bytes.fromhex(scenario.deploy(chain, funder, fees, shape)[2:]))
        note(f"deployed {scenario.name} contract at {contract}")
    if scenario.prepare is not None:
        scenario.prepare(chain, funder, fees, contract, senders)

    report = LoadReport(
        scenario=scenario.name,
        rpc=config.rpc,
        contract=contract,
        planned=len(calls),
        offered_tps=config.tps,
        accounts=config.accounts,
        via=config.send_rpcs,
    )
    began = time.perf_counter()
    signed = _sign_all(chain, senders, calls, contract, fees)
    report.sign_seconds = time.perf_counter() - began
    index = {tx.tx_hash: i for i, tx in enumerate(signed)}
    track = _Track(len(signed))
    start_block = chain.block_number()
    stop = threading.Event()
    failure: list[BaseException] = []
    found_queue: queue.SimpleQueue[list[int]] = queue.SimpleQueue()
    hashes = [tx.tx_hash for tx in signed]

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except BaseException as error:  # reported by the main thread
                failure.append(error)

        return run

    threads = [
        threading.Thread(
            target=guarded(
                lambda: _track_blocks(
                    chain, index, track, start_block, config.poll_interval, stop, found_queue
                )
            ),
            name="load-blocks",
            daemon=True,
        ),
        threading.Thread(
            target=guarded(lambda: _read_statuses(chain, hashes, track, stop, found_queue)),
            name="load-receipts",
            daemon=True,
        ),
    ]
    for thread in threads:
        thread.start()
    view.start(len(signed))
    try:
        lanes = [call.sender % len(routes) for call in calls]
        t0 = _send_paced(routes, lanes, signed, config, track, report, view, failure)
        report.send_seconds = time.monotonic() - t0
        deadline = time.monotonic() + config.receipt_timeout
        while time.monotonic() < deadline and not failure:
            with track.lock:
                done = track.confirmed >= track.accepted + track.unknown
                view.update(track.accepted + track.rejected, track.confirmed, _failed(track))
            if done:
                break
            time.sleep(0.02)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        view.stop()
    if failure:
        raise LoadError(f"following receipts failed: {failure[0]}")
    if track.confirmed < track.accepted + track.unknown:
        # A last look: blocks the tracker could not read in time (a node that stops
        # answering while it builds a large block) may hold the missing transactions.
        try:
            _scan_blocks(chain, index, track, track.next_block, found_queue)
        except LoadError:
            track.rpc_errors += 1
    unread = [i for i in range(len(signed)) if track.included[i] > 0.0 and track.status[i] == -1]
    if unread:  # included at the very end: read their status now
        try:
            _read_chunk(chain, hashes, unread, track)
        except LoadError:
            track.rpc_errors += 1
    _account(track, report)
    report.first_block = track.first_block
    report.last_block = track.last_block
    confirmed = [i for i in range(len(signed)) if track.included[i] > 0.0]
    report.latencies = [track.included[i] - track.submitted[i] for i in confirmed]
    if confirmed:
        report.total_seconds = max(track.included[i] for i in confirmed) - t0
    return report


def _account(track: _Track, report: LoadReport) -> None:
    """Outcome of every transaction, from the per-transaction records."""
    included = [track.status[i] != -1 for i in range(track.n)]
    report.sent = sum(1 for state in track.sent if state in (ACCEPTED, UNKNOWN))
    report.succeeded = sum(1 for status in track.status if status == 1)
    report.reverted = sum(1 for status in track.status if status == 0)
    report.rejected = sum(
        1 for i, state in enumerate(track.sent) if state == REJECTED and not included[i]
    )
    report.unconfirmed = sum(
        1 for i, state in enumerate(track.sent) if state in (ACCEPTED, UNKNOWN) and not included[i]
    )
    report.send_failures = track.unknown
    report.rpc_errors = track.rpc_errors


def _failed(track: _Track) -> int:
    return track.rejected + track.reverted


def _send_paced(
    routes: list[Chain],
    lanes: list[int],
    signed: list[SignedTx],
    config: LoadConfig,
    track: _Track,
    report: LoadReport,
    view: ProgressView,
    failure: list[BaseException],
) -> float:
    """Send ``signed`` at ``config.tps``, transaction ``k`` to ``routes[lanes[k]]``;
    returns the monotonic start time."""
    n = len(signed)
    t0 = time.monotonic()
    i = 0
    while i < n:
        if failure:
            break
        elapsed = time.monotonic() - t0
        due = min(n, int(elapsed * config.tps) + 1)
        if due <= i:
            time.sleep(min(0.005, max(0.0, i / config.tps - elapsed)))
            continue
        j = min(due, i + config.batch_size)
        for lane, route in enumerate(routes):
            batch = [k for k in range(i, j) if lanes[k] == lane]
            if batch:
                _send_batch(route, batch, signed, track, report)
        with track.lock:
            view.update(track.accepted + track.rejected, track.confirmed, _failed(track))
        i = j
    return t0


def _send_batch(
    route: Chain, batch: list[int], signed: list[SignedTx], track: _Track, report: LoadReport
) -> None:
    """Send transactions ``batch`` in one request and record the answers."""
    sent_at = time.monotonic()
    try:
        answers = route.batch(
            [("eth_sendRawTransaction", ["0x" + signed[k].raw.hex()]) for k in batch]
        )
    except LoadError as error:
        # the request failed (e.g. timed out): the node may still have taken them, so
        # they stay tracked; they count as lost unless a block includes them
        with track.lock:
            for k in batch:
                track.submitted[k] = sent_at
                track.sent[k] = UNKNOWN
                track.unknown += 1
            report.rejection_reasons[f"send request failed: {error}"] += len(batch)
        return
    with track.lock:
        for k, answer in zip(batch, answers, strict=True):
            track.submitted[k] = sent_at
            if "error" in answer:
                track.sent[k] = REJECTED
                track.rejected += 1
                message = str((answer.get("error") or {}).get("message", "unknown error"))
                report.rejection_reasons[message] += 1
            else:
                track.sent[k] = ACCEPTED
                track.accepted += 1


__all__ = ["DEFAULT_KEY", "LoadConfig", "LoadError", "run_load"]
