"""Which processes a devnet runs, with which keys, ports and directories.

:func:`plan_processes` is a pure function from the devnet's settings (the selected
sequencers, the staked operators eligible as verifiers, the contracts) to the
:class:`~agents.devnet.supervisor.ProcessSpec` of every role, in three stages:

1. the **producers** — the sequencers the ExecutionLayerRegistry selected for the rollup,
   each with its operator key; with several, they form the GRANDPA voter set (the
   registry's order) and know each other as peers;
2. once the producers answer: **aggregators** forwarding to every producer; **verifiers**
   (staked operators eligible in the Rollup's stake token) following the producers; the
   **dashboard**;
3. once the verifiers have their state: a **defender** per honest verifier (the
   challenger/defender agent with the verifier's key and EVM view, answering challenges
   to the verifier's packs) and the standalone **challenger** (an unstaked key, the first
   verifier's EVM view) that disputes wrong packs.

With ``faulty_producer`` the last producer signs a conflicting GRANDPA vote each time
(``--equivocate``): the others log the equivocation and finality goes on.
With ``faulty_verifier_lie_at_tx`` the last verifier posts one wrong pack
(``--lie-at-tx``, :mod:`agents.verifier.faults`) and runs no defender; the challenger
(which sees the first verifier's honest view) disputes it and wins.

Every process gets ``--state-dir <state>/<name>`` (or its database there) and logs to
``<state>/logs/<name>.log``. Nothing here starts anything.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agents.devnet.supervisor import ProcessSpec

VERIFIER_VIEW = "agents.verifier.trace:evm_trace_factory"
VERIFIER_STATE_ENV = "ALTROLLUP_VERIFIER_STATE_DIR"


@dataclass(frozen=True)
class Operator:
    """A staked operator the devnet controls: its address and private key (0x hex)."""

    address: str
    key: str


@dataclass(frozen=True)
class DevnetSettings:
    """Everything :func:`plan_processes` needs (see the module docstring)."""

    state_dir: Path
    l1_rpc: str
    chain_id: int
    rollup: str
    bridge: str
    deployments: Path
    rollup_id: int
    genesis: Path
    producers: Sequence[Operator]  # the selected sequencers, in the registry's order
    verifiers: Sequence[Operator]
    challenger_key: str
    aggregators: int = 1
    block_time_ms: int = 250
    pack_blocks: int = 8
    pack_interval: float = 4.0
    da: str = "calldata"
    poll_interval: float = 0.5
    faulty_verifier_lie_at_tx: int | None = None  # the last verifier lies (fault injection)
    faulty_producer: bool = False  # the last producer equivocates (fault injection)


@dataclass(frozen=True)
class Ports:
    """Ports of the HTTP endpoints, by role."""

    producers: tuple[int, ...]
    aggregators: tuple[int, ...]
    dashboard: int
    metrics: dict[str, int]


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assign_ports(settings: DevnetSettings, base_port: int) -> Ports:
    """Consecutive ports from ``base_port`` (producers, aggregators, dashboard, then the
    metrics of the verifiers, defenders and challenger); ``0`` picks free ports."""
    names = [f"verifier-{i}" for i in range(len(settings.verifiers))]
    names += [f"defender-{i}" for i in range(len(settings.verifiers))]
    names.append("challenger")
    count = len(settings.producers) + settings.aggregators + 1 + len(names)
    ports = (
        [free_port() for _ in range(count)]
        if base_port == 0
        else [base_port + i for i in range(count)]
    )
    producers = tuple(ports[: len(settings.producers)])
    rest = ports[len(settings.producers) :]
    aggregators = tuple(rest[: settings.aggregators])
    rest = rest[settings.aggregators :]
    return Ports(producers, aggregators, rest[0], dict(zip(names, rest[1:], strict=True)))


def _altrollup(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("altrollup")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-c", "from agents.cli import main; main()", *args]


def url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def plan_processes(settings: DevnetSettings, ports: Ports) -> list[list[ProcessSpec]]:
    """The stages of process specs, each started once the previous one is ready: the
    producers; the aggregators, verifiers and dashboard; the agents that read a
    verifier's state (defenders, challenger)."""
    state = settings.state_dir
    producer_urls = [url(port) for port in ports.producers]
    several = len(settings.producers) > 1
    producers = []
    for index, operator in enumerate(settings.producers):
        args = [
            "producer",
            "run",
            "--state-dir",
            str(state / f"producer-{index}"),
            "--chain-id",
            str(settings.chain_id),
            "--genesis",
            str(settings.genesis),
            "--port",
            str(ports.producers[index]),
            "--id",
            f"producer-{index}",
            "--block-time",
            str(settings.block_time_ms),
            "--coinbase",
            operator.address,
            # tiers 2 and 3 (the `safe` and `finalized` tags) from the Rollup contract
            "--l1-rpc",
            settings.l1_rpc,
            "--rollup",
            settings.rollup,
        ]
        for aggregator in range(settings.aggregators):
            args += [
                "--aggregator",
                f"aggregator-{aggregator}={url(ports.aggregators[aggregator])}",
            ]
        if several and settings.faulty_producer and index == len(settings.producers) - 1:
            args.append("--equivocate")
        if several:
            args += ["--voter-key", operator.key]
            for member in settings.producers:
                args += ["--validator", member.address]
            for peer, peer_url in enumerate(producer_urls):
                if peer != index:
                    args += ["--peer", peer_url]
        producers.append(
            ProcessSpec(
                name=f"producer-{index}",
                command=_altrollup(*args),
                ready_url=producer_urls[index],
                ready_method="eth_blockNumber",
            )
        )

    rest: list[ProcessSpec] = []
    agents: list[ProcessSpec] = []
    for index, port in enumerate(ports.aggregators):
        args = [
            "aggregator",
            "--id",
            f"aggregator-{index}",
            "--db",
            str(state / f"aggregator-{index}.sqlite"),
            "--chain-id",
            str(settings.chain_id),
            "--port",
            str(port),
            "--state-rpc",
            producer_urls[0],
        ]
        for producer_url in producer_urls:
            args += ["--producer", producer_url]
        rest.append(
            ProcessSpec(
                name=f"aggregator-{index}",
                command=_altrollup(*args),
                ready_url=url(port),
                ready_method="eth_chainId",
            )
        )
    faulty = len(settings.verifiers) - 1 if settings.faulty_verifier_lie_at_tx else None
    for index, operator in enumerate(settings.verifiers):
        verifier_dir = state / f"verifier-{index}"
        args = [
            "verifier",
            "run",
            "--l1-rpc",
            settings.l1_rpc,
            "--rollup",
            settings.rollup,
            "--key",
            operator.key,
            "--l2-rpc",
            producer_urls[index % len(producer_urls)],
            "--state-dir",
            str(verifier_dir),
            "--genesis",
            str(settings.genesis),
            "--da",
            settings.da,
            "--pack-blocks",
            str(settings.pack_blocks),
            "--pack-interval",
            str(settings.pack_interval),
            "--bridge",
            settings.bridge,
            "--poll-interval",
            str(settings.poll_interval),
            "--metrics-port",
            str(ports.metrics[f"verifier-{index}"]),
        ]
        if index == faulty:
            # eager to post, so the lie usually lands before the honest pack of its range
            interval = args.index("--pack-interval") + 1
            args[interval] = str(settings.pack_interval / 4)
            args += ["--lie-at-tx", str(settings.faulty_verifier_lie_at_tx)]
        rest.append(
            ProcessSpec(
                name=f"verifier-{index}",
                command=_altrollup(*args),
                ready_url=url(ports.metrics[f"verifier-{index}"]) + "/metrics",
            )
        )
        if index == faulty:
            continue  # nobody defends the lie: it loses its game on the clock
        agents.append(
            _agent_spec(
                f"defender-{index}",
                settings,
                operator.key,
                verifier_dir,
                ports.metrics[f"defender-{index}"],
                ("--defend", "--no-challenge"),
            )
        )
    if settings.verifiers:
        agents.append(
            _agent_spec(
                "challenger",
                settings,
                settings.challenger_key,
                state / "verifier-0",
                ports.metrics["challenger"],
                (),
            )
        )
    rest.append(
        ProcessSpec(
            name="dashboard",
            command=_altrollup(
                "dashboard",
                "--rpc",
                producer_urls[0],
                "--l1-rpc",
                settings.l1_rpc,
                "--deployments",
                str(settings.deployments),
                "--rollup",
                settings.rollup,
                "--rollup-id",
                str(settings.rollup_id),
                "--port",
                str(ports.dashboard),
            ),
            ready_url=url(ports.dashboard) + "/",
        )
    )
    return [producers, rest, agents]


def _agent_spec(
    name: str,
    settings: DevnetSettings,
    key: str,
    view_dir: Path,
    metrics_port: int,
    flags: tuple[str, ...],
) -> ProcessSpec:
    return ProcessSpec(
        name=name,
        command=_altrollup(
            "challenger",
            "run",
            "--l1-rpc",
            settings.l1_rpc,
            "--rollup",
            settings.rollup,
            "--key",
            key,
            "--state-dir",
            str(settings.state_dir / name),
            "--trace",
            VERIFIER_VIEW,
            "--poll-interval",
            str(settings.poll_interval),
            "--metrics-port",
            str(metrics_port),
            *flags,
        ),
        env={VERIFIER_STATE_ENV: str(view_dir)},
        ready_url=url(metrics_port) + "/metrics",
    )
