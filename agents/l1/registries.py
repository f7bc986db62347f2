"""Typed bindings for the Beacon-layer registries and the flows built on them.

:class:`SequencerRegistry` and :class:`ExecutionLayerRegistry` wrap the deployed
contracts with typed methods (amounts in wei, addresses as checksummed strings) over an
:class:`~agents.l1.client.L1Client`; failures surface as
:class:`~agents.l1.client.TransactionReverted` with the contract's custom error.
:func:`deploy_settlement` deploys both registries (and a faucet token per stake-token
symbol) and is what the devnet and the tests use; the ape ``deploy`` script deploys the
same contracts with the same :class:`SettlementConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from agents.l1 import vrf
from agents.l1.client import L1Client
from agents.l1.deployments import Deployment
from agents.l1.rollup_request import RequestError, RollupRequest

ETH = "0x0000000000000000000000000000000000000000"
ETH_SYMBOL = "ETH"


class RollupStatus(IntEnum):
    """``ExecutionLayerRegistry.Status``."""

    NONE = 0
    REQUESTED = 1
    ACTIVE = 2
    ENDING = 3
    SETTLED = 4


# Request strings (seed 003 vocabulary) -> the contract's enum values.
SETTLEMENT_LAYERS = {"ethereum": 0, "arbitrum": 1, "optimism": 2}
DA_LAYERS = {
    "ethereum-calldata": 0,
    "ethereum": 0,
    "calldata": 0,
    "ethereum-blobs": 1,
    "eip4844": 1,
    "blobs": 1,
    "celestia": 2,
    "eigenda": 3,
    "avail": 4,
}
VIRTUAL_MACHINES = {"evm": 0, "wasm": 1}
ROLLUP_TYPES = {"optimistic": 0, "zk": 1}
PURPOSES = {"general-purpose": 0, "general": 0, "app-specific": 1}
KINDS = {"flash": 0, "persistent": 1}


def _enum(table: dict[str, int], value: str, field_name: str) -> int:
    key = value.strip().lower()
    if key not in table:
        choices = ", ".join(sorted(table))
        raise RequestError(f"{field_name}: {value!r} is not one of {choices}")
    return table[key]


@dataclass(frozen=True)
class SettlementConfig:
    """Deployment parameters of the registries (devnet defaults)."""

    unbonding_delay: int = 120
    chain_id_base: int = 900_000
    #: Bitmasks over the contract enums: settlement Ethereum; DA calldata + blobs;
    #: VM EVM; type optimistic. What this stack can actually run.
    supported_settlement: int = 0b1
    supported_da: int = 0b11
    supported_vms: int = 0b1
    supported_types: int = 0b1
    max_sequencers_cap: int = 32
    selection_grace_blocks: int = 20

    def as_abi(self) -> tuple[int, int, int, int, int, int, int]:
        return (
            self.chain_id_base,
            self.supported_settlement,
            self.supported_da,
            self.supported_vms,
            self.supported_types,
            self.max_sequencers_cap,
            self.selection_grace_blocks,
        )


def request_params(request: RollupRequest, tokens: dict[str, str]) -> tuple[object, ...]:
    """``RequestParams`` for ``requestExecutionLayer`` from a parsed request.

    ``tokens`` maps symbols to token addresses (``ETH`` is the zero address).
    """
    addresses = []
    for symbol in request.allowed_tokens:
        if symbol not in tokens:
            known = ", ".join(sorted(tokens)) or "none"
            raise RequestError(f"allowed_tokens: no deployed token {symbol} (known: {known})")
        addresses.append(Web3.to_checksum_address(tokens[symbol]))
    return (
        _enum(SETTLEMENT_LAYERS, request.settlement_layer, "settlement_layer"),
        _enum(DA_LAYERS, request.da_layer, "da_layer"),
        _enum(VIRTUAL_MACHINES, request.vm, "vm"),
        _enum(ROLLUP_TYPES, request.type, "type"),
        _enum(PURPOSES, request.purpose, "purpose"),
        _enum(KINDS, request.kind, "kind"),
        request.min_sequencers,
        request.max_sequencers,
        addresses,
        [request.min_stake_per_seq[symbol] for symbol in request.allowed_tokens],
    )


@dataclass
class SequencerRegistry:
    """Typed access to a deployed ``SequencerRegistry``."""

    client: L1Client
    contract: Contract

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def register(self, operator: LocalAccount, endpoint: str, signing_key: bytes) -> None:
        self.client.transact(self.contract.functions.register(endpoint, signing_key), operator)

    def allow_token(self, owner: LocalAccount, token: str) -> None:
        self.client.transact(self.contract.functions.allowToken(token), owner)

    def authorize_slasher(self, owner: LocalAccount, slasher: str) -> None:
        self.client.transact(self.contract.functions.authorizeSlasher(slasher), owner)

    def _approve_if_token(self, account: LocalAccount, token: str, amount: int) -> int:
        """Approve an ERC-20 for the registry; returns the ETH value to attach."""
        if int(token, 16) == 0:
            return amount
        erc20 = self.client.contract("DevnetToken", token)
        self.client.transact(erc20.functions.approve(self.address, amount), account)
        return 0

    def stake(self, operator: LocalAccount, token: str, amount: int) -> None:
        value = self._approve_if_token(operator, token, amount)
        self.client.transact(self.contract.functions.stake(token, amount), operator, value)

    def delegate(self, holder: LocalAccount, operator: str, token: str, amount: int) -> None:
        value = self._approve_if_token(holder, token, amount)
        fn = self.contract.functions.delegate(Web3.to_checksum_address(operator), token, amount)
        self.client.transact(fn, holder, value)

    def active_stake(self, operator: str, token: str) -> int:
        fn = self.contract.functions.activeStake(Web3.to_checksum_address(operator), token)
        return int(self.client.call(fn))

    def operators(self) -> list[str]:
        count = int(self.client.call(self.contract.functions.operatorCount()))
        return [str(self.client.call(self.contract.functions.operatorAt(i))) for i in range(count)]

    def endpoint_of(self, operator: str) -> str:
        info = self.client.call(self.contract.functions.operatorInfo(operator))
        return str(info[3])


@dataclass(frozen=True)
class RollupInfo:
    """What the ExecutionLayerRegistry knows of one rollup."""

    rollup_id: int
    chain_id: int
    status: RollupStatus
    requester: str
    kind: str
    min_sequencers: int
    max_sequencers: int
    allowed_tokens: tuple[str, ...]
    min_stakes: tuple[int, ...]
    sequencers: tuple[str, ...]
    vrf_output: bytes
    selected_by: str


@dataclass
class ExecutionLayerRegistry:
    """Typed access to a deployed ``ExecutionLayerRegistry``."""

    client: L1Client
    contract: Contract

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def register_validator(
        self, owner: LocalAccount, validator: str, vrf_key: tuple[int, int]
    ) -> None:
        fn = self.contract.functions.registerValidator(validator, list(vrf_key))
        self.client.transact(fn, owner)

    def request(
        self, requester: LocalAccount, request: RollupRequest, tokens: dict[str, str]
    ) -> tuple[int, int]:
        """Submit ``request``; returns ``(rollup_id, l2_chain_id)``."""
        fn = self.contract.functions.requestExecutionLayer(request_params(request, tokens))
        receipt = self.client.transact(fn, requester)
        (event,) = self.contract.events.ExecutionLayerRequested().process_receipt(
            receipt, errors=DISCARD
        )
        rollup_id = int(event["args"]["rollupId"])
        return rollup_id, int(self.client.call(self.contract.functions.chainIdOf(rollup_id)))

    def select(self, validator: LocalAccount, vrf_secret: int, rollup_id: int) -> list[str]:
        """Prove the VRF over the rollup's selection alpha and submit the selection."""
        alpha = bytes(self.client.call(self.contract.functions.selectionAlpha(rollup_id)))
        public = vrf.public_key(vrf_secret)
        proof = vrf.prove(vrf_secret, alpha)
        _, proof_words, witness = vrf.solidity_args(public, proof, alpha)
        fn = self.contract.functions.selectSequencers(rollup_id, proof_words, witness)
        self.client.transact(fn, validator)
        return list(self.info(rollup_id).sequencers)

    def info(self, rollup_id: int) -> RollupInfo:
        params, requester = self.client.call(self.contract.functions.getRequest(rollup_id))
        selection = self.client.call(self.contract.functions.selectionInfo(rollup_id))
        kinds = {value: name for name, value in KINDS.items()}
        return RollupInfo(
            rollup_id=rollup_id,
            chain_id=int(self.client.call(self.contract.functions.chainIdOf(rollup_id))),
            status=RollupStatus(int(self.client.call(self.contract.functions.statusOf(rollup_id)))),
            requester=str(requester),
            kind=kinds[int(params[5])],
            min_sequencers=int(params[6]),
            max_sequencers=int(params[7]),
            allowed_tokens=tuple(str(token) for token in params[8]),
            min_stakes=tuple(int(amount) for amount in params[9]),
            sequencers=tuple(
                str(a) for a in self.client.call(self.contract.functions.sequencersOf(rollup_id))
            ),
            vrf_output=bytes(selection[4]),
            selected_by=str(selection[3]),
        )


@dataclass
class SettlementContracts:
    """The deployed Beacon-layer contracts and the stake tokens by symbol."""

    sequencer_registry: SequencerRegistry
    execution_layer_registry: ExecutionLayerRegistry
    tokens: dict[str, str] = field(default_factory=dict)

    def deployments(self, block: int) -> dict[str, Deployment]:
        entries = {
            "SequencerRegistry": Deployment(
                "SequencerRegistry", self.sequencer_registry.address, block
            ),
            "ExecutionLayerRegistry": Deployment(
                "ExecutionLayerRegistry", self.execution_layer_registry.address, block
            ),
        }
        for symbol, address in self.tokens.items():
            if symbol != ETH_SYMBOL:
                entries[f"token:{symbol}"] = Deployment(f"token:{symbol}", address, block)
        return entries

    @classmethod
    def from_deployments(
        cls, client: L1Client, entries: dict[str, Deployment]
    ) -> SettlementContracts:
        tokens = {ETH_SYMBOL: ETH}
        tokens.update(
            {
                name.split(":", 1)[1]: d.address
                for name, d in entries.items()
                if name.startswith("token:")
            }
        )
        return cls(
            SequencerRegistry(
                client, client.contract("SequencerRegistry", entries["SequencerRegistry"].address)
            ),
            ExecutionLayerRegistry(
                client,
                client.contract(
                    "ExecutionLayerRegistry", entries["ExecutionLayerRegistry"].address
                ),
            ),
            tokens,
        )


def deploy_settlement(
    client: L1Client,
    deployer: LocalAccount,
    token_symbols: tuple[str, ...] = (),
    config: SettlementConfig = SettlementConfig(),
) -> SettlementContracts:
    """Deploy both registries, one faucet token per non-ETH symbol, and allow them all."""
    sequencer_registry = client.deploy(
        "SequencerRegistry", deployer, deployer.address, config.unbonding_delay
    )
    registry = SequencerRegistry(client, sequencer_registry)
    tokens = {ETH_SYMBOL: ETH}
    registry.allow_token(deployer, ETH)
    for symbol in token_symbols:
        if symbol == ETH_SYMBOL or symbol in tokens:
            continue
        token = client.deploy("DevnetToken", deployer, f"{symbol} (altrollup devnet)", symbol)
        tokens[symbol] = str(token.address)
        registry.allow_token(deployer, tokens[symbol])
    execution_layer_registry = client.deploy(
        "ExecutionLayerRegistry", deployer, deployer.address, registry.address, config.as_abi()
    )
    return SettlementContracts(
        registry, ExecutionLayerRegistry(client, execution_layer_registry), tokens
    )


def mint(client: L1Client, faucet: LocalAccount, token: str, to: str, amount: int) -> None:
    """Mint devnet stake tokens (the deployer of :func:`deploy_settlement` is the faucet)."""
    erc20 = client.contract("DevnetToken", token)
    client.transact(erc20.functions.mint(Web3.to_checksum_address(to), amount), faucet)
