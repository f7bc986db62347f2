// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISequencerRegistry} from "./interfaces/ISequencerRegistry.sol";
import {ECVRF} from "./lib/ECVRF.sol";

/// @title IAllowedTokenRegistry
/// @notice The one view the ExecutionLayerRegistry needs from the SequencerRegistry on
///         top of `ISequencerRegistry`: whether a token may be staked at all.
interface IAllowedTokenRegistry {
    /// @notice Whether `token` is a stake token of the registry (`address(0)` is ETH).
    ///         `SequencerRegistry` provides it as its public `isTokenAllowed` mapping.
    function isTokenAllowed(address token) external view returns (bool);
}

/// @title ExecutionLayerRegistry
/// @notice Developers request execution layers (rollups) here with the fields of the
///         Beacon-layer `execution_layer_req`; a registered Beacon validator then selects
///         the rollup's sequencers among the SequencerRegistry's operators, weighted by
///         stake, with randomness from an ECVRF proof verified on-chain.
///
///         Lifecycle: `Requested -> Active -> Ending -> Settled` (a request that never
///         became active may also be ended: `Requested -> Ending`).
///
///         Selection randomness. `alpha = keccak256(abi.encode(block.chainid,
///         address(this), rollupId, seedBlockHash))` where `seedBlockHash` is
///         `blockhash(block.number - 1)` recorded by `requestExecutionLayer`. Given alpha,
///         an ECVRF output is unique per key, so the submitting validator cannot grind.
///         To stop validators from shopping among each other's outputs, each request
///         designates one validator (derived from `seedBlockHash`); any registered
///         validator may submit only once `SELECTION_GRACE_BLOCKS` have passed (liveness).
///
///         Weight rule. For each allowed token `t` with minimum `m_t`, an operator's
///         active stake `s_t` counts only if `s_t >= m_t`, and then contributes
///         `min(min(s_t, 2^128 - 1) * 1e18 / m_t, 2^128 - 1)`:
///         stake measured in "minimum stakes", so tokens with different units and
///         values are comparable in the way the requester priced them. An operator is
///         eligible iff it is active and its weight is non-zero (it meets at least one
///         token's minimum).
///
///         Sampling without replacement. With `W` the remaining total weight, draw `i`
///         computes `r = uint256(keccak256(abi.encode(beta, i))) % W` and picks the first
///         remaining operator (registry order) whose cumulative weight exceeds `r`, then
///         removes it. `count = min(maxSequencers, eligible)`; fewer than
///         `minSequencers` eligible operators is an error. Mirrored in Python by
///         `agents.l1.vrf.weighted_sample`.
contract ExecutionLayerRegistry {
    // ---------------------------------------------------------------------------------
    // types
    // ---------------------------------------------------------------------------------

    /// @notice Where the rollup settles (`settlement_layer`).
    enum SettlementLayer {
        Ethereum,
        Arbitrum,
        Optimism
    }

    /// @notice Where the rollup publishes its data (`da_layer`).
    enum DaLayer {
        EthereumCalldata,
        EthereumBlobs,
        Celestia,
        EigenDA,
        Avail
    }

    /// @notice The rollup's runtime (`vm`).
    enum VirtualMachine {
        EVM,
        WASM
    }

    /// @notice Proof system (`type`): optimistic with fraud proofs, or ZK validity proofs.
    enum RollupType {
        Optimistic,
        ZK
    }

    /// @notice `purpose` of the execution layer.
    enum Purpose {
        GeneralPurpose,
        AppSpecific
    }

    /// @notice Flash (ephemeral, ended with an end-of-life settlement) or persistent.
    enum Kind {
        Flash,
        Persistent
    }

    /// @notice Lifecycle status. `None` means "no such rollup".
    enum Status {
        None,
        Requested,
        Active,
        Ending,
        Settled
    }

    /// @notice An `execution_layer_req`. Tokens are addresses (`address(0)` = ETH);
    ///         `minStakes[i]` is the minimum stake per sequencer in `allowedTokens[i]`.
    struct RequestParams {
        SettlementLayer settlementLayer;
        DaLayer daLayer;
        VirtualMachine vm;
        RollupType rollupType;
        Purpose purpose;
        Kind kind;
        uint16 minSequencers;
        uint16 maxSequencers;
        address[] allowedTokens;
        uint256[] minStakes;
    }

    /// @notice Deployment configuration (copied into immutables).
    /// @custom:field chainIdBase          L2 chain id of rollup `id` is `chainIdBase + id`.
    /// @custom:field supportedSettlement  Bit `i` set: `SettlementLayer(i)` is supported.
    /// @custom:field supportedDa          Bit `i` set: `DaLayer(i)` is supported.
    /// @custom:field supportedVms         Bit `i` set: `VirtualMachine(i)` is supported.
    /// @custom:field supportedTypes       Bit `i` set: `RollupType(i)` is supported.
    /// @custom:field maxSequencersCap     Upper bound on `maxSequencers` (bounds gas).
    /// @custom:field selectionGraceBlocks Blocks during which only the designated
    ///                                    validator may submit the selection.
    struct Config {
        uint64 chainIdBase;
        uint8 supportedSettlement;
        uint8 supportedDa;
        uint8 supportedVms;
        uint8 supportedTypes;
        uint16 maxSequencersCap;
        uint64 selectionGraceBlocks;
    }

    /// @notice Stored state of a rollup.
    struct Rollup {
        address requester;
        uint64 chainId;
        Status status;
        SettlementLayer settlementLayer;
        DaLayer daLayer;
        VirtualMachine vm;
        RollupType rollupType;
        Purpose purpose;
        Kind kind;
        uint16 minSequencers;
        uint16 maxSequencers;
        uint64 requestBlock;
        uint64 endedAt;
        address designatedValidator;
        address selectedBy;
        bytes32 seedBlockHash;
        bytes32 vrfOutput;
        address[] allowedTokens;
        uint256[] minStakes;
        address[] sequencers;
    }

    // ---------------------------------------------------------------------------------
    // constants and immutables
    // ---------------------------------------------------------------------------------

    /// @notice Maximum number of allowed tokens per request.
    uint256 public constant MAX_ALLOWED_TOKENS = 8;
    /// @notice Weight of a stake exactly equal to the minimum.
    uint256 public constant WEIGHT_UNIT = 1e18;
    /// @notice Cap on one token's contribution to an operator's weight.
    uint256 public constant MAX_TOKEN_WEIGHT = type(uint128).max;

    /// @notice The stake registry sequencers are selected from.
    ISequencerRegistry public immutable SEQUENCER_REGISTRY;
    /// @notice L2 chain id of rollup `id` is `CHAIN_ID_BASE + id`.
    uint64 public immutable CHAIN_ID_BASE;
    /// @notice Bitmask of supported `SettlementLayer` values.
    uint8 public immutable SUPPORTED_SETTLEMENT;
    /// @notice Bitmask of supported `DaLayer` values.
    uint8 public immutable SUPPORTED_DA;
    /// @notice Bitmask of supported `VirtualMachine` values.
    uint8 public immutable SUPPORTED_VMS;
    /// @notice Bitmask of supported `RollupType` values.
    uint8 public immutable SUPPORTED_TYPES;
    /// @notice Upper bound on `maxSequencers`.
    uint16 public immutable MAX_SEQUENCERS_CAP;
    /// @notice Blocks after a request during which only its designated validator may select.
    uint64 public immutable SELECTION_GRACE_BLOCKS;

    // ---------------------------------------------------------------------------------
    // storage
    // ---------------------------------------------------------------------------------

    /// @notice Governance.
    address public owner;
    /// @notice Governance-elect (two-step transfer).
    address public pendingOwner;
    /// @notice The only address allowed to move a rollup from Ending to Settled.
    address public settler;
    /// @notice Number of rollups requested so far (ids are 1..rollupCount).
    uint256 public rollupCount;

    mapping(uint256 rollupId => Rollup) internal _rollups;
    mapping(uint256 chainId => uint256 rollupId) internal _rollupIdOfChain;

    address[] internal _validators;
    mapping(address validator => uint256 indexPlusOne) internal _validatorSlot;
    mapping(address validator => uint256[2] key) internal _vrfKeys;

    // ---------------------------------------------------------------------------------
    // events
    // ---------------------------------------------------------------------------------

    /// @notice A rollup was requested (status None -> Requested).
    event ExecutionLayerRequested(
        uint256 indexed rollupId, address indexed requester, uint256 indexed chainId, RequestParams params
    );
    /// @notice Sequencers were selected and the rollup became Active.
    event SequencersSelected(
        uint256 indexed rollupId, uint256 indexed chainId, address indexed validator, bytes32 vrfOutput, address[] sequencers
    );
    /// @notice The end of a rollup was initiated (status -> Ending).
    event RollupEndInitiated(uint256 indexed rollupId, address indexed by);
    /// @notice A rollup's end-of-life settlement was recorded (status Ending -> Settled).
    event RollupSettled(uint256 indexed rollupId, address indexed by);
    /// @notice Every lifecycle transition, including the first.
    event RollupStatusChanged(uint256 indexed rollupId, Status from, Status to);
    /// @notice A Beacon validator was registered with its VRF public key.
    event ValidatorRegistered(address indexed validator, uint256 keyX, uint256 keyY);
    /// @notice A Beacon validator was removed.
    event ValidatorRemoved(address indexed validator);
    /// @notice The settler address changed.
    event SettlerUpdated(address indexed previousSettler, address indexed newSettler);
    /// @notice Governance started a transfer to `newOwner`.
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    /// @notice Governance changed.
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    // ---------------------------------------------------------------------------------
    // errors
    // ---------------------------------------------------------------------------------

    /// @notice The caller is not governance.
    error NotOwner(address caller);
    /// @notice The caller is not the pending owner.
    error NotPendingOwner(address caller);
    /// @notice A zero address where one is not allowed.
    error ZeroAddress();
    /// @notice A configuration value is invalid (zero cap or empty support mask).
    error InvalidConfig();
    /// @notice The settlement layer is not supported by this deployment.
    error UnsupportedSettlementLayer(SettlementLayer settlementLayer);
    /// @notice The DA layer is not supported by this deployment.
    error UnsupportedDaLayer(DaLayer daLayer);
    /// @notice The VM is not supported by this deployment.
    error UnsupportedVm(VirtualMachine vm);
    /// @notice The rollup type (proof system) is not supported by this deployment.
    error UnsupportedRollupType(RollupType rollupType);
    /// @notice `minSequencers` is zero.
    error ZeroMinSequencers();
    /// @notice `minSequencers > maxSequencers`.
    error MinSequencersExceedMax(uint256 minSequencers, uint256 maxSequencers);
    /// @notice `maxSequencers` is above the deployment cap.
    error MaxSequencersAboveCap(uint256 maxSequencers, uint256 cap);
    /// @notice No allowed token was given.
    error NoAllowedTokens();
    /// @notice More allowed tokens than `MAX_ALLOWED_TOKENS`.
    error TooManyAllowedTokens(uint256 count, uint256 cap);
    /// @notice The same token appears twice in `allowedTokens`.
    error DuplicateAllowedToken(address token);
    /// @notice The SequencerRegistry does not accept `token` as stake.
    error TokenNotAllowed(address token);
    /// @notice `minStakes` and `allowedTokens` differ in length.
    error MinStakeLengthMismatch(uint256 tokens, uint256 minStakes);
    /// @notice A minimum stake of zero (every operator would qualify for free).
    error ZeroMinStake(address token);
    /// @notice No rollup has this id.
    error UnknownRollup(uint256 rollupId);
    /// @notice The rollup is not in the status the operation needs.
    error InvalidStatus(uint256 rollupId, Status current);
    /// @notice The caller is not a registered Beacon validator.
    error NotValidator(address caller);
    /// @notice Within the grace period only the designated validator may select.
    error NotDesignatedValidator(address caller, address designated);
    /// @notice The validator is already registered.
    error ValidatorAlreadyRegistered(address validator);
    /// @notice The validator is not registered.
    error ValidatorNotRegistered(address validator);
    /// @notice The VRF public key is not a secp256k1 point.
    error InvalidVrfPublicKey();
    /// @notice The VRF proof does not verify for the caller's key and the request's alpha.
    error InvalidVrfProof();
    /// @notice Fewer eligible operators than the request's minimum.
    error NotEnoughEligibleSequencers(uint256 eligible, uint256 minSequencers);
    /// @notice The caller is neither the requester nor governance.
    error NotRequesterOrOwner(address caller);
    /// @notice The caller is not the settler.
    error NotSettler(address caller);

    // ---------------------------------------------------------------------------------
    // construction and governance
    // ---------------------------------------------------------------------------------

    /// @param initialOwner      Governance.
    /// @param sequencerRegistry The SequencerRegistry (must also implement `isTokenAllowed`).
    /// @param config            See `Config`.
    constructor(address initialOwner, ISequencerRegistry sequencerRegistry, Config memory config) {
        // INVARIANT: governance and the registry exist.
        if (initialOwner == address(0) || address(sequencerRegistry) == address(0)) revert ZeroAddress();
        // INVARIANT: something can be requested and selections are bounded.
        if (
            config.maxSequencersCap == 0 || config.supportedSettlement == 0 || config.supportedDa == 0
                || config.supportedVms == 0 || config.supportedTypes == 0
        ) revert InvalidConfig();
        SEQUENCER_REGISTRY = sequencerRegistry;
        CHAIN_ID_BASE = config.chainIdBase;
        SUPPORTED_SETTLEMENT = config.supportedSettlement;
        SUPPORTED_DA = config.supportedDa;
        SUPPORTED_VMS = config.supportedVms;
        SUPPORTED_TYPES = config.supportedTypes;
        MAX_SEQUENCERS_CAP = config.maxSequencersCap;
        SELECTION_GRACE_BLOCKS = config.selectionGraceBlocks;
        owner = initialOwner;
        emit OwnershipTransferred(address(0), initialOwner);
    }

    modifier onlyOwner() {
        // INVARIANT: governance only.
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Start a two-step governance transfer (`address(0)` cancels a pending one).
    function transferOwnership(address newOwner) external onlyOwner {
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(msg.sender, newOwner);
    }

    /// @notice Complete a governance transfer; callable by the pending owner only.
    function acceptOwnership() external {
        // INVARIANT: only the address governance nominated can take over.
        if (msg.sender != pendingOwner || msg.sender == address(0)) revert NotPendingOwner(msg.sender);
        address previous = owner;
        owner = msg.sender;
        pendingOwner = address(0);
        emit OwnershipTransferred(previous, msg.sender);
    }

    /// @notice Set the address that records end-of-life settlements.
    function setSettler(address newSettler) external onlyOwner {
        address previous = settler;
        settler = newSettler;
        emit SettlerUpdated(previous, newSettler);
    }

    /// @notice Register a Beacon validator and its secp256k1 VRF public key `[x, y]`.
    function registerValidator(address validator, uint256[2] calldata vrfKey) external onlyOwner {
        // INVARIANT: a real, new validator with a key on the curve.
        if (validator == address(0)) revert ZeroAddress();
        if (_validatorSlot[validator] != 0) revert ValidatorAlreadyRegistered(validator);
        if (!ECVRF.isOnCurve(vrfKey[0], vrfKey[1])) revert InvalidVrfPublicKey();
        _validators.push(validator);
        _validatorSlot[validator] = _validators.length;
        _vrfKeys[validator] = vrfKey;
        emit ValidatorRegistered(validator, vrfKey[0], vrfKey[1]);
    }

    /// @notice Remove a Beacon validator.
    function removeValidator(address validator) external onlyOwner {
        uint256 slot = _validatorSlot[validator];
        // INVARIANT: only registered validators can be removed.
        if (slot == 0) revert ValidatorNotRegistered(validator);
        address last = _validators[_validators.length - 1];
        _validators[slot - 1] = last;
        _validatorSlot[last] = slot;
        _validators.pop();
        delete _validatorSlot[validator];
        delete _vrfKeys[validator];
        emit ValidatorRemoved(validator);
    }

    // ---------------------------------------------------------------------------------
    // requests
    // ---------------------------------------------------------------------------------

    /// @notice Request an execution layer.
    /// @return rollupId The new rollup's id (1, 2, ...).
    /// @return chainId  Its L2 chain id, `CHAIN_ID_BASE + rollupId`.
    function requestExecutionLayer(RequestParams calldata params) external returns (uint256 rollupId, uint256 chainId) {
        _validateRequest(params);

        rollupId = ++rollupCount;
        chainId = uint256(CHAIN_ID_BASE) + rollupId;
        bytes32 seed = block.number == 0 ? bytes32(0) : blockhash(block.number - 1);

        Rollup storage r = _rollups[rollupId];
        r.requester = msg.sender;
        r.chainId = uint64(chainId);
        r.status = Status.Requested;
        r.settlementLayer = params.settlementLayer;
        r.daLayer = params.daLayer;
        r.vm = params.vm;
        r.rollupType = params.rollupType;
        r.purpose = params.purpose;
        r.kind = params.kind;
        r.minSequencers = params.minSequencers;
        r.maxSequencers = params.maxSequencers;
        r.requestBlock = uint64(block.number);
        r.seedBlockHash = seed;
        r.allowedTokens = params.allowedTokens;
        r.minStakes = params.minStakes;
        uint256 nValidators = _validators.length;
        if (nValidators != 0) {
            r.designatedValidator = _validators[uint256(keccak256(abi.encode(seed, rollupId))) % nValidators];
        }
        _rollupIdOfChain[chainId] = rollupId;

        emit ExecutionLayerRequested(rollupId, msg.sender, chainId, params);
        emit RollupStatusChanged(rollupId, Status.None, Status.Requested);
    }

    /// @dev Every field of the request, each with its own error.
    function _validateRequest(RequestParams calldata p) internal view {
        // INVARIANT: the deployment supports the requested stack.
        if ((uint256(SUPPORTED_SETTLEMENT) >> uint8(p.settlementLayer)) & 1 == 0) {
            revert UnsupportedSettlementLayer(p.settlementLayer);
        }
        if ((uint256(SUPPORTED_DA) >> uint8(p.daLayer)) & 1 == 0) revert UnsupportedDaLayer(p.daLayer);
        if ((uint256(SUPPORTED_VMS) >> uint8(p.vm)) & 1 == 0) revert UnsupportedVm(p.vm);
        if ((uint256(SUPPORTED_TYPES) >> uint8(p.rollupType)) & 1 == 0) revert UnsupportedRollupType(p.rollupType);

        // INVARIANT: 0 < minSequencers <= maxSequencers <= MAX_SEQUENCERS_CAP.
        if (p.minSequencers == 0) revert ZeroMinSequencers();
        if (p.minSequencers > p.maxSequencers) revert MinSequencersExceedMax(p.minSequencers, p.maxSequencers);
        if (p.maxSequencers > MAX_SEQUENCERS_CAP) revert MaxSequencersAboveCap(p.maxSequencers, MAX_SEQUENCERS_CAP);

        // INVARIANT: 1..MAX_ALLOWED_TOKENS distinct tokens, each stakeable, each with a
        //            non-zero minimum.
        uint256 n = p.allowedTokens.length;
        if (n == 0) revert NoAllowedTokens();
        if (n > MAX_ALLOWED_TOKENS) revert TooManyAllowedTokens(n, MAX_ALLOWED_TOKENS);
        if (p.minStakes.length != n) revert MinStakeLengthMismatch(n, p.minStakes.length);
        for (uint256 i; i < n; ++i) {
            address token = p.allowedTokens[i];
            for (uint256 j; j < i; ++j) {
                if (p.allowedTokens[j] == token) revert DuplicateAllowedToken(token);
            }
            if (p.minStakes[i] == 0) revert ZeroMinStake(token);
            if (!IAllowedTokenRegistry(address(SEQUENCER_REGISTRY)).isTokenAllowed(token)) {
                revert TokenNotAllowed(token);
            }
        }
    }

    // ---------------------------------------------------------------------------------
    // selection
    // ---------------------------------------------------------------------------------

    /// @notice Select the sequencers of `rollupId` with the caller's ECVRF proof over
    ///         `selectionAlpha(rollupId)` (32 bytes). Callable by a registered validator:
    ///         the designated one, or any one after `SELECTION_GRACE_BLOCKS`.
    /// @param proof   `[gammaX, gammaY, c, s]` (see `ECVRF`).
    /// @param witness Fast-verify points (`agents.l1.vrf.fast_verify_params`).
    /// @return selected The chosen sequencers, in draw order.
    function selectSequencers(uint256 rollupId, uint256[4] calldata proof, ECVRF.Witness calldata witness)
        external
        returns (address[] memory selected)
    {
        Rollup storage r = _rollups[rollupId];
        // INVARIANT: the rollup exists and awaits its sequencers.
        if (r.status == Status.None) revert UnknownRollup(rollupId);
        if (r.status != Status.Requested) revert InvalidStatus(rollupId, r.status);
        // INVARIANT: only Beacon validators select; the designated one first.
        if (_validatorSlot[msg.sender] == 0) revert NotValidator(msg.sender);
        address designated = r.designatedValidator;
        if (
            msg.sender != designated && _validatorSlot[designated] != 0
                && block.number <= uint256(r.requestBlock) + SELECTION_GRACE_BLOCKS
        ) revert NotDesignatedValidator(msg.sender, designated);

        // INVARIANT: the randomness is the caller's VRF output on the request's alpha.
        (bool valid, bytes32 beta) =
            ECVRF.verify(_vrfKeys[msg.sender], proof, abi.encodePacked(selectionAlpha(rollupId)), witness);
        if (!valid) revert InvalidVrfProof();

        selected = _selectAndStore(rollupId, r, beta);
    }

    /// @dev Eligibility, sampling and the state change of `selectSequencers`.
    function _selectAndStore(uint256 rollupId, Rollup storage r, bytes32 beta)
        internal
        returns (address[] memory selected)
    {
        // Reads only (STATICCALLs into the registry): no state is changed before them.
        (address[] memory ops, uint256[] memory weights, uint256 eligible, uint256 total) = _eligibleOf(rollupId, r);
        // INVARIANT: at least minSequencers eligible operators.
        if (eligible < r.minSequencers) revert NotEnoughEligibleSequencers(eligible, r.minSequencers);
        uint256 count = eligible < r.maxSequencers ? eligible : r.maxSequencers;
        selected = _sample(beta, ops, weights, eligible, total, count);

        // Effects.
        r.sequencers = selected;
        r.status = Status.Active;
        r.vrfOutput = beta;
        r.selectedBy = msg.sender;
        emit SequencersSelected(rollupId, r.chainId, msg.sender, beta, selected);
        emit RollupStatusChanged(rollupId, Status.Requested, Status.Active);
    }

    /// @notice The VRF input of `rollupId`'s selection:
    ///         `keccak256(abi.encode(block.chainid, address(this), rollupId, seedBlockHash))`.
    function selectionAlpha(uint256 rollupId) public view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), rollupId, _rollups[rollupId].seedBlockHash));
    }

    /// @notice Weight of `operator` for `rollupId` under the weight rule (0 = not eligible).
    function weightOf(uint256 rollupId, address operator) public view returns (uint256) {
        Rollup storage r = _rollups[rollupId];
        if (r.status == Status.None) revert UnknownRollup(rollupId);
        if (!SEQUENCER_REGISTRY.isActiveOperator(operator)) return 0;
        return _weight(operator, r.allowedTokens, r.minStakes);
    }

    /// @notice The eligible operators (registry order, deduplicated) and their weights,
    ///         as `selectSequencers` would see them now.
    function eligibleOperators(uint256 rollupId)
        external
        view
        returns (address[] memory operators, uint256[] memory weights)
    {
        Rollup storage r = _rollups[rollupId];
        if (r.status == Status.None) revert UnknownRollup(rollupId);
        uint256 n = SEQUENCER_REGISTRY.operatorCount();
        address[] memory ops = new address[](n);
        uint256[] memory ws = new uint256[](n);
        uint256 m;
        for (uint256 i; i < n; ++i) {
            address op = SEQUENCER_REGISTRY.operatorAt(i);
            if (_containsBefore(ops, m, op) || !SEQUENCER_REGISTRY.isActiveOperator(op)) continue;
            uint256 w = _weight(op, r.allowedTokens, r.minStakes);
            if (w == 0) continue;
            ops[m] = op;
            ws[m] = w;
            ++m;
        }
        assembly ("memory-safe") {
            mstore(ops, m)
            mstore(ws, m)
        }
        return (ops, ws);
    }

    /// @dev Eligible operators with weights; duplicates in the registry listing are
    ///      skipped with a transient-storage marker keyed by (rollupId, operator).
    function _eligibleOf(uint256 rollupId, Rollup storage r)
        internal
        returns (address[] memory ops, uint256[] memory weights, uint256 m, uint256 total)
    {
        uint256 n = SEQUENCER_REGISTRY.operatorCount();
        ops = new address[](n);
        weights = new uint256[](n);
        address[] memory tokens = r.allowedTokens;
        uint256[] memory mins = r.minStakes;
        for (uint256 i; i < n; ++i) {
            address op = SEQUENCER_REGISTRY.operatorAt(i);
            bytes32 mark = keccak256(abi.encode(rollupId, op));
            uint256 seen;
            assembly ("memory-safe") {
                seen := tload(mark)
            }
            if (seen != 0) continue;
            assembly ("memory-safe") {
                tstore(mark, 1)
            }
            if (!SEQUENCER_REGISTRY.isActiveOperator(op)) continue;
            uint256 w = _weight(op, tokens, mins);
            if (w == 0) continue;
            ops[m] = op;
            weights[m] = w;
            total += w;
            ++m;
        }
    }

    /// @dev The weight rule (see the contract NatSpec).
    function _weight(address op, address[] memory tokens, uint256[] memory mins) internal view returns (uint256 w) {
        for (uint256 t; t < tokens.length; ++t) {
            uint256 stake = SEQUENCER_REGISTRY.activeStake(op, tokens[t]);
            if (stake < mins[t]) continue;
            // stake <= 2^128 - 1 after clamping, so stake * 1e18 cannot overflow.
            uint256 clamped = stake > MAX_TOKEN_WEIGHT ? MAX_TOKEN_WEIGHT : stake;
            uint256 part = (clamped * WEIGHT_UNIT) / mins[t];
            w += part > MAX_TOKEN_WEIGHT ? MAX_TOKEN_WEIGHT : part;
        }
    }

    /// @dev Weighted sampling without replacement driven by `beta` (see the NatSpec).
    function _sample(
        bytes32 beta,
        address[] memory ops,
        uint256[] memory weights,
        uint256 m,
        uint256 total,
        uint256 count
    ) internal pure returns (address[] memory selected) {
        selected = new address[](count);
        for (uint256 i; i < count; ++i) {
            uint256 target = uint256(keccak256(abi.encode(beta, i))) % total;
            uint256 acc;
            for (uint256 j; j < m; ++j) {
                uint256 w = weights[j];
                if (w == 0) continue;
                acc += w;
                if (target < acc) {
                    selected[i] = ops[j];
                    total -= w;
                    weights[j] = 0;
                    break;
                }
            }
        }
    }

    function _containsBefore(address[] memory list, uint256 len, address item) private pure returns (bool) {
        for (uint256 i; i < len; ++i) {
            if (list[i] == item) return true;
        }
        return false;
    }

    // ---------------------------------------------------------------------------------
    // lifecycle
    // ---------------------------------------------------------------------------------

    /// @notice Begin the end of `rollupId` (Requested or Active -> Ending). Requester or
    ///         governance only.
    function endRollup(uint256 rollupId) external {
        Rollup storage r = _rollups[rollupId];
        Status current = r.status;
        // INVARIANT: the rollup exists, is running or pending, and the caller owns it.
        if (current == Status.None) revert UnknownRollup(rollupId);
        if (msg.sender != r.requester && msg.sender != owner) revert NotRequesterOrOwner(msg.sender);
        if (current != Status.Requested && current != Status.Active) revert InvalidStatus(rollupId, current);
        r.status = Status.Ending;
        r.endedAt = uint64(block.timestamp);
        emit RollupEndInitiated(rollupId, msg.sender);
        emit RollupStatusChanged(rollupId, current, Status.Ending);
    }

    /// @notice Record the end-of-life settlement of `rollupId` (Ending -> Settled).
    ///         Settler only.
    function settleRollup(uint256 rollupId) external {
        Rollup storage r = _rollups[rollupId];
        // INVARIANT: only the settler, only from Ending.
        if (r.status == Status.None) revert UnknownRollup(rollupId);
        if (msg.sender != settler || msg.sender == address(0)) revert NotSettler(msg.sender);
        if (r.status != Status.Ending) revert InvalidStatus(rollupId, r.status);
        r.status = Status.Settled;
        emit RollupSettled(rollupId, msg.sender);
        emit RollupStatusChanged(rollupId, Status.Ending, Status.Settled);
    }

    // ---------------------------------------------------------------------------------
    // views
    // ---------------------------------------------------------------------------------

    /// @notice The request `rollupId` was created with, and its requester.
    function getRequest(uint256 rollupId) external view returns (RequestParams memory params, address requester) {
        Rollup storage r = _rollups[rollupId];
        if (r.status == Status.None) revert UnknownRollup(rollupId);
        params = RequestParams({
            settlementLayer: r.settlementLayer,
            daLayer: r.daLayer,
            vm: r.vm,
            rollupType: r.rollupType,
            purpose: r.purpose,
            kind: r.kind,
            minSequencers: r.minSequencers,
            maxSequencers: r.maxSequencers,
            allowedTokens: r.allowedTokens,
            minStakes: r.minStakes
        });
        requester = r.requester;
    }

    /// @notice Selection-related state of `rollupId`.
    function selectionInfo(uint256 rollupId)
        external
        view
        returns (
            uint256 requestBlock,
            bytes32 seedBlockHash,
            address designatedValidator,
            address selectedBy,
            bytes32 vrfOutput
        )
    {
        Rollup storage r = _rollups[rollupId];
        if (r.status == Status.None) revert UnknownRollup(rollupId);
        return (r.requestBlock, r.seedBlockHash, r.designatedValidator, r.selectedBy, r.vrfOutput);
    }

    /// @notice Lifecycle status (`None` for unknown ids).
    function statusOf(uint256 rollupId) external view returns (Status) {
        return _rollups[rollupId].status;
    }

    /// @notice L1 timestamp at which `endRollup` moved `rollupId` to Ending (0 if it never
    ///         did). End-of-life settlement only accepts a final pack posted at or after it.
    function endedAtOf(uint256 rollupId) external view returns (uint256) {
        return _rollups[rollupId].endedAt;
    }

    /// @notice L2 chain id of `rollupId` (0 for unknown ids).
    function chainIdOf(uint256 rollupId) external view returns (uint256) {
        return _rollups[rollupId].chainId;
    }

    /// @notice Rollup id of L2 chain `chainId` (0 if none).
    function rollupIdOfChain(uint256 chainId) external view returns (uint256) {
        return _rollupIdOfChain[chainId];
    }

    /// @notice The selected sequencers of `rollupId` (empty before selection).
    function sequencersOf(uint256 rollupId) external view returns (address[] memory) {
        return _rollups[rollupId].sequencers;
    }

    /// @notice Whether `operator` was selected for `rollupId`.
    function isSequencer(uint256 rollupId, address operator) external view returns (bool) {
        address[] storage chosen = _rollups[rollupId].sequencers;
        for (uint256 i; i < chosen.length; ++i) {
            if (chosen[i] == operator) return true;
        }
        return false;
    }

    /// @notice Whether `account` is a registered Beacon validator.
    function isValidator(address account) external view returns (bool) {
        return _validatorSlot[account] != 0;
    }

    /// @notice Registered validators (unordered).
    function validators() external view returns (address[] memory) {
        return _validators;
    }

    /// @notice VRF public key `[x, y]` of `validator` (zeros if unregistered).
    function vrfPublicKey(address validator) external view returns (uint256[2] memory) {
        return _vrfKeys[validator];
    }
}
