"""Tiers 2 and 3 read from the Rollup contract: a :class:`~agents.producer.finality_oracle.
FinalityOracle` for the node's ``altrollup_getFinality``, ``safe`` and ``finalized``.

- **tier 3 height**: the last L2 block of ``lastFinalized()`` (finalized packs form a
  prefix of the valid chain, so every block up to it is rollup-level final);
- **tier 2 height**: the last L2 block of the longest prefix of the valid chain whose packs
  are all at least verification-level final (tier 2 or 3). A tier-2 pack above a pack that
  is only posted does not make the blocks below it safe, so the height is the end of the
  prefix, never a jump; it is always >= the tier-3 height.

The node reads the heights on every request, so :meth:`L1Finality.tier2_height` and
:meth:`~L1Finality.tier3_height` return cached values; :meth:`L1Finality.refresh` reads L1
(:meth:`L1Finality.start` runs it in a thread for a node without a verifier in its
process); the verifier service instead hands it the chain it read each tick
(:meth:`L1Finality.publish`). Pack bodies are immutable and cached by id; a tier-2
pack stays tier 2 until invalidated, which removes it from the valid chain, so its id is
never read again at that height.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from agents.l1.client import L1Error
from agents.l1.rollup import Pack, RollupContract, Tier


@dataclass(frozen=True)
class FinalityHeights:
    """One reading of the Rollup."""

    tier2: int
    tier3: int
    finalized_pack: int


def compute_heights(
    finalized_last_block: int, pending: list[tuple[int, Tier]], finalized_pack: int = 0
) -> FinalityHeights:
    """Heights from the finalized pack's last block and the pending valid packs as
    ``(last_block, tier)`` in chain order (pure)."""
    tier2 = finalized_last_block
    for last_block, tier in pending:
        if tier not in (Tier.VERIFICATION_FINAL, Tier.ROLLUP_FINAL):
            break
        tier2 = last_block
    return FinalityHeights(tier2, finalized_last_block, finalized_pack)


@dataclass
class L1Finality:
    """The FinalityOracle over one Rollup contract (thread-safe, cached)."""

    rollup: RollupContract
    _heights: FinalityHeights = field(default_factory=lambda: FinalityHeights(0, 0, 0))
    _packs: dict[int, Pack] = field(default_factory=dict)
    _tier2: set[int] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    last_error: str | None = None

    def tier2_height(self) -> int:
        with self._lock:
            return self._heights.tier2

    def tier3_height(self) -> int:
        with self._lock:
            return self._heights.tier3

    def heights(self) -> FinalityHeights:
        with self._lock:
            return self._heights

    def _pack(self, pack_id: int) -> Pack:
        pack = self._packs.get(pack_id)
        if pack is None:
            pack = self.rollup.pack(pack_id)
            self._packs[pack_id] = pack
        return pack

    def refresh(self) -> FinalityHeights:
        """Read the Rollup and update the cached heights."""
        head_height = self.rollup.head_height()
        finalized_height = self.rollup.finalized_height()
        finalized_id = self.rollup.pack_at_height(finalized_height)
        pending: list[tuple[int, Tier]] = []
        for height in range(finalized_height + 1, head_height + 1):
            pack_id = self.rollup.pack_at_height(height)
            if pack_id in self._tier2:
                tier = Tier.VERIFICATION_FINAL
            else:
                tier = self.rollup.tier_of(pack_id)
                if tier is Tier.VERIFICATION_FINAL:
                    self._tier2.add(pack_id)
            pending.append((self._pack(pack_id).last_block, tier))
            if tier is not Tier.VERIFICATION_FINAL:
                break  # the tier-2 prefix ends here; later packs cannot extend it
        heights = compute_heights(self._pack(finalized_id).last_block, pending, finalized_id)
        with self._lock:
            self._heights = heights
        return heights

    def publish(
        self, finalized_last_block: int, pending: list[tuple[int, Tier]], finalized_pack: int = 0
    ) -> FinalityHeights:
        """Set the heights from a reading of the valid chain made elsewhere (the verifier
        reads it every tick anyway): ``pending`` is ``(last block, tier)`` by height."""
        heights = compute_heights(finalized_last_block, pending, finalized_pack)
        with self._lock:
            self._heights = heights
        return heights

    def start(self, interval: float = 2.0) -> None:
        """Refresh every ``interval`` seconds in a daemon thread."""

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.refresh()
                    self.last_error = None
                except (L1Error, OSError, ValueError) as error:
                    self.last_error = f"{type(error).__name__}: {error}"
                self._stop.wait(interval)

        self._thread = threading.Thread(target=loop, name="l1-finality", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
