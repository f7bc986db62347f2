"""Where tiers 2 and 3 come from: the heights the L1 packs have reached.

The producer knows tier 1 itself (a block it sealed, or one GRANDPA finalized); tiers 2
(verification-level: a pack with the affirmation quorum) and 3 (rollup-level: the
challenge window passed) are facts of the L1 Rollup contract that the verifier side
follows. It hands them to the node through this protocol: the highest L2 block number
covered by a tier-2 pack and by a tier-3 pack. ``safe`` is the tier-2 height and
``finalized`` the tier-3 height in the node's JSON-RPC.

Heights never decrease in a correct oracle except when a pack is invalidated on L1
(tier 2 can then fall back); the node reads them on every request, so an oracle must
be cheap and thread-safe (return cached values, refresh them elsewhere).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol


class FinalityOracle(Protocol):
    """Highest L2 block number at tier 2 and at tier 3 (0 = only genesis)."""

    def tier2_height(self) -> int: ...

    def tier3_height(self) -> int: ...


@dataclass
class StaticFinality:
    """An oracle with set heights: block 0 (genesis, pack 0 of the Rollup) by default.

    Used when no verifier feeds the node; :meth:`update` lets a verifier running in the
    same process (or a test) move the heights.
    """

    tier2: int = 0
    tier3: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def tier2_height(self) -> int:
        with self._lock:
            return self.tier2

    def tier3_height(self) -> int:
        with self._lock:
            return self.tier3

    def update(self, tier2: int | None = None, tier3: int | None = None) -> None:
        with self._lock:
            if tier2 is not None:
                self.tier2 = tier2
            if tier3 is not None:
                self.tier3 = tier3
