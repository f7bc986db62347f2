// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "../utils/TestBase.sol";
import {Vm, VmRollup} from "../utils/Vm.sol";
import {Rollup} from "../../../contracts/Rollup.sol";
import {SequencerRegistry} from "../../../contracts/SequencerRegistry.sol";
import {ExecutionLayerRegistry} from "../../../contracts/ExecutionLayerRegistry.sol";
import {ISequencerRegistry} from "../../../contracts/interfaces/ISequencerRegistry.sol";
import {
    Tier,
    DaKind,
    Vote,
    PackHeader,
    Pack,
    PackInfo,
    IDisputeOutcomes,
    IRollupDirectory,
    RollupConfig
} from "../../../contracts/interfaces/IRollup.sol";
import {TxRootsMerkle} from "../../../contracts/dispute/lib/TxRootsMerkle.sol";
import {DirectoryMock, DisputeOutcomesMock} from "./RollupMocks.sol";

/// @notice Shared fixture of the Rollup forge tests: a real SequencerRegistry with four
///         staked verifiers (and one under-staked), a directory mock with rollup 7
///         Active, and a DisputeGame mock whose outcomes the tests set.
abstract contract RollupBase is TestBase {
    VmRollup internal constant vmr = VmRollup(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    address internal constant ETH = address(0);
    uint256 internal constant ROLLUP_ID = 7;
    uint256 internal constant CHAIN_ID = 900_007;
    uint64 internal constant WINDOW = 1 days;
    uint32 internal constant QUORUM = 2;
    uint256 internal constant MIN_STAKE = 10 ether;
    bytes32 internal constant GENESIS = keccak256("genesis");

    address internal gov = address(0x6001);
    address internal v1 = address(0x1001);
    address internal v2 = address(0x1002);
    address internal v3 = address(0x1003);
    address internal v4 = address(0x1004);
    address internal poor = address(0x1005);
    address internal stranger = address(0x5757);

    SequencerRegistry internal registry;
    DirectoryMock internal directory;
    DisputeOutcomesMock internal outcomes;
    Rollup internal rollup;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        registry = new SequencerRegistry(gov, 1 days);
        vm.prank(gov);
        registry.allowToken(ETH);
        directory = new DirectoryMock();
        directory.set(ROLLUP_ID, ExecutionLayerRegistry.Status.Active, CHAIN_ID);
        _verifier(v1, 11, MIN_STAKE);
        _verifier(v2, 12, MIN_STAKE);
        _verifier(v3, 13, 2 * MIN_STAKE);
        _verifier(v4, 14, MIN_STAKE);
        _verifier(poor, 15, MIN_STAKE - 1);
        rollup = _deploy(QUORUM, false);
    }

    // -- deployment ----------------------------------------------------------------

    function _config(IDisputeOutcomes game, uint32 quorum, bool needsQuorum)
        internal
        view
        returns (RollupConfig memory)
    {
        return RollupConfig({
            executionLayerRegistry: IRollupDirectory(address(directory)),
            rollupId: ROLLUP_ID,
            sequencerRegistry: ISequencerRegistry(address(registry)),
            disputeGame: game,
            challengeWindow: WINDOW,
            affirmationQuorum: quorum,
            finalityRequiresQuorum: needsQuorum,
            stakeToken: ETH,
            minVerifierStake: MIN_STAKE,
            genesisStateRoot: GENESIS
        });
    }

    /// @dev Deploy a dispute-outcome mock naming the next contract as its claim source,
    ///      then the Rollup there.
    function _deploy(uint32 quorum, bool needsQuorum) internal returns (Rollup r) {
        address predicted = _createAddress(address(this), vmr.getNonce(address(this)) + 1);
        outcomes = new DisputeOutcomesMock(predicted);
        r = new Rollup(_config(IDisputeOutcomes(address(outcomes)), quorum, needsQuorum));
        vm.assertEq(address(r), predicted, "predicted address");
    }

    /// @dev CREATE address of `deployer` at `nonce` (nonce < 2^16).
    function _createAddress(address deployer, uint256 nonce) internal pure returns (address) {
        bytes memory rlp;
        if (nonce == 0) rlp = abi.encodePacked(bytes1(0xd6), bytes1(0x94), deployer, bytes1(0x80));
        else if (nonce < 0x80) rlp = abi.encodePacked(bytes1(0xd6), bytes1(0x94), deployer, uint8(nonce));
        else if (nonce < 0x100) rlp = abi.encodePacked(bytes1(0xd7), bytes1(0x94), deployer, bytes1(0x81), uint8(nonce));
        else rlp = abi.encodePacked(bytes1(0xd8), bytes1(0x94), deployer, bytes1(0x82), uint16(nonce));
        return address(uint160(uint256(keccak256(rlp))));
    }

    function _verifier(address who, uint256 pk, uint256 amount) internal {
        Vm.Wallet memory w = vm.createWallet(pk);
        vm.prank(who);
        registry.register("tcp://127.0.0.1:30303", abi.encodePacked(w.publicKeyX, w.publicKeyY));
        vm.deal(who, amount);
        vm.prank(who);
        registry.stake{value: amount}(ETH, amount);
    }

    // -- packs ---------------------------------------------------------------------

    /// @dev Per-tx roots of a synthetic pack: distinct per (salt, index).
    function _roots(uint256 txCount, uint256 salt) internal pure returns (bytes32[] memory roots) {
        roots = new bytes32[](txCount);
        for (uint256 i; i < txCount; ++i) {
            roots[i] = keccak256(abi.encode("root", salt, i));
        }
    }

    /// @dev TxRootsMerkle proof of leaf `index` over `leaves`.
    function _proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory siblings) {
        uint256 depth = TxRootsMerkle.depth(leaves.length);
        uint256 width = uint256(1) << depth;
        bytes32[] memory layer = new bytes32[](width);
        for (uint256 i; i < leaves.length; ++i) {
            layer[i] = TxRootsMerkle.leafHash(leaves[i]);
        }
        siblings = new bytes32[](depth);
        for (uint256 level; level < depth; ++level) {
            siblings[level] = layer[index ^ 1];
            width >>= 1;
            for (uint256 i; i < width; ++i) {
                layer[i] = TxRootsMerkle.nodeHash(layer[2 * i], layer[2 * i + 1]);
            }
            index >>= 1;
        }
    }

    /// @dev A well-formed header on top of the current head with `txCount` transactions
    ///      over `blocks` blocks, and the proof of its final root.
    function _header(uint256 txCount, uint256 blocks, uint256 salt)
        internal
        view
        returns (PackHeader memory header, bytes32[] memory proof)
    {
        uint256 headId = rollup.head();
        Pack memory parent = rollup.getPack(headId);
        header.parentId = uint64(headId);
        header.firstBlock = parent.lastBlock + 1;
        header.lastBlock = uint64(parent.lastBlock + blocks);
        header.txCount = uint64(txCount);
        if (txCount == 0) {
            header.stateRoot = parent.stateRoot;
            return (header, new bytes32[](0));
        }
        bytes32[] memory roots = _roots(txCount, salt);
        header.txRootsCommitment = TxRootsMerkle.commit(roots);
        header.stateRoot = roots[txCount - 1];
        proof = _proof(roots, txCount - 1);
    }

    function _data(uint256 salt) internal pure returns (bytes memory) {
        return abi.encodePacked("pack-data", salt);
    }

    /// @dev `who` posts a calldata-DA pack on the head; returns its id.
    function _post(address who, uint256 txCount, uint256 salt) internal returns (uint256 packId) {
        (PackHeader memory header, bytes32[] memory proof) = _header(txCount, 2, salt);
        vm.prank(who);
        packId = rollup.postPack(header, proof, _data(salt));
    }

    function _affirm(uint256 packId, address who) internal {
        vm.prank(who);
        rollup.affirm(packId);
    }

    function _assertTier(uint256 packId, Tier expected, string memory what) internal view {
        vm.assertEq(uint256(rollup.tierOf(packId)), uint256(expected), what);
    }
}
