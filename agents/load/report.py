"""Latency percentiles, throughput and the printed summary of a load run."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of ``values`` (``fraction`` in [0, 1]); NaN if empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class LoadReport:
    """What a run did, measured at the client."""

    scenario: str
    rpc: str
    contract: str
    planned: int
    offered_tps: float
    accounts: int
    sent: int = 0
    rejected: int = 0
    succeeded: int = 0
    reverted: int = 0
    unconfirmed: int = 0
    send_failures: int = 0
    rpc_errors: int = 0
    send_seconds: float = 0.0
    total_seconds: float = 0.0
    sign_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    rejection_reasons: Counter[str] = field(default_factory=Counter)
    first_block: int = 0
    last_block: int = 0
    via: tuple[str, ...] = ()

    @property
    def confirmed(self) -> int:
        return self.succeeded + self.reverted

    @property
    def failed(self) -> int:
        """Transactions that did not succeed: rejected at submission, reverted, or lost."""
        return self.rejected + self.reverted + self.unconfirmed

    @property
    def achieved_tps(self) -> float:
        """Receipts per second from the first submission to the last receipt."""
        return self.confirmed / self.total_seconds if self.total_seconds > 0 else 0.0

    @property
    def sent_tps(self) -> float:
        return self.sent / self.send_seconds if self.send_seconds > 0 else 0.0

    def latency_ms(self, fraction: float) -> float:
        return percentile(self.latencies, fraction) * 1000.0

    def as_json(self) -> dict[str, object]:
        """The report as one JSON object (``altrollup load --json``); times in ms."""

        def ms(fraction: float) -> float | None:
            return round(self.latency_ms(fraction), 3) if self.latencies else None

        return {
            "scenario": self.scenario,
            "rpc": self.rpc,
            "via": list(self.via),
            "contract": self.contract,
            "accounts": self.accounts,
            "planned": self.planned,
            "offeredTps": self.offered_tps,
            "sent": self.sent,
            "sentTps": round(self.sent_tps, 3),
            "achievedTps": round(self.achieved_tps, 3),
            "succeeded": self.succeeded,
            "reverted": self.reverted,
            "rejected": self.rejected,
            "noReceipt": self.unconfirmed,
            "failed": self.failed,
            "latencyMs": {"p50": ms(0.50), "p99": ms(0.99), "max": ms(1.0)},
            "rejectionReasons": dict(self.rejection_reasons),
            "rpcErrors": self.rpc_errors,
            "blocks": [self.first_block, self.last_block],
            "seconds": {
                "sign": round(self.sign_seconds, 3),
                "send": round(self.send_seconds, 3),
                "total": round(self.total_seconds, 3),
            },
        }

    def summary(self) -> str:
        lines = [
            f"scenario     {self.scenario} on {self.rpc}"
            + (f", sent via {', '.join(self.via)}" if self.via else ""),
            f"contract     {self.contract}",
            f"accounts     {self.accounts} senders, {self.planned} transactions "
            f"signed in {self.sign_seconds:.2f}s",
            f"offered      {self.offered_tps:,.1f} tx/s "
            f"(sent {self.sent:,} at {self.sent_tps:,.1f} tx/s over {self.send_seconds:.2f}s)",
            f"achieved     {self.achieved_tps:,.1f} tx/s "
            f"({self.confirmed:,} receipts in {self.total_seconds:.2f}s, "
            f"L2 blocks {self.first_block}..{self.last_block})",
        ]
        if self.latencies:
            lines.append(
                "latency      submission -> receipt: "
                f"p50 {self.latency_ms(0.50):,.0f} ms, p99 {self.latency_ms(0.99):,.0f} ms, "
                f"max {max(self.latencies) * 1000:,.0f} ms"
            )
        lines.append(
            f"failed       {self.failed:,} "
            f"(reverted {self.reverted:,}, rejected {self.rejected:,}, "
            f"no receipt {self.unconfirmed:,})"
        )
        for reason, count in self.rejection_reasons.most_common(3):
            lines.append(f"  {count:,}x: {reason}")
        if self.rpc_errors:
            lines.append(f"rpc errors   {self.rpc_errors:,} failed reads while following blocks")
        return "\n".join(lines)
