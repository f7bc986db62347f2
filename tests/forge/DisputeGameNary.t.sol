// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {VmDisputeBench} from "./utils/Vm.sol";
import {AlphabetVM} from "../../contracts/dispute/AlphabetVM.sol";
import {IStepVerifier} from "../../contracts/dispute/IStepVerifier.sol";
import {NaryBisectionBench} from "./dispute/NaryBisectionBench.sol";

/// @notice Binary vs k-ary bisection over 2^30 AlphabetVM steps (about 1,000
///         transactions x 10^6 steps), honest challenger against a lying defender.
///         Each call is measured as its own transaction would be: storage and the
///         contract made cold before the call, plus 21,000 intrinsic gas and the
///         calldata cost (4 gas per zero byte, 16 per non-zero byte).
contract DisputeGameNaryTest is TestBase {
    event log_named_uint(string key, uint256 val);

    uint256 internal constant LENGTH = 1 << 30;
    uint256 internal constant START = 1000;
    uint256 internal constant LIE_FROM = 613_000_123;

    AlphabetVM internal alphabet;

    struct Tally {
        uint256 moves;
        uint256 total;
        uint256 maxMove;
    }

    function setUp() public {
        alphabet = new AlphabetVM();
    }

    function test_nary_tradeoff() public {
        uint256[5] memory ks = [uint256(2), 4, 8, 16, 32];
        for (uint256 i; i < ks.length; ++i) {
            Tally memory t = _play(ks[i]);
            emit log_named_uint(string.concat("k=", vm.toString(ks[i]), " moves"), t.moves);
            emit log_named_uint(string.concat("k=", vm.toString(ks[i]), " total gas"), t.total);
            emit log_named_uint(string.concat("k=", vm.toString(ks[i]), " max move gas"), t.maxMove);
        }
    }

    // -- players -------------------------------------------------------------------------

    function _state(uint256 step, bool liar) internal pure returns (bytes32) {
        uint256 value = START + step + (liar && step >= LIE_FROM ? 1 : 0);
        return keccak256(abi.encode(step, value));
    }

    function _claims(NaryBisectionBench bench, uint256 lo, uint256 hi, bool liar)
        internal
        view
        returns (bytes32[] memory claims)
    {
        if (hi - lo <= 1) return claims;
        claims = new bytes32[](bench.claimCount(hi - lo));
        for (uint256 i; i < claims.length; ++i) {
            claims[i] = _state(bench.position(lo, hi, i), liar);
        }
    }

    /// @dev The honest answer: the first claim that differs from the answerer's trace.
    function _choice(NaryBisectionBench bench, bytes32[] memory previous, bool liar)
        internal
        view
        returns (uint256 choice, uint256 newLo, uint256 newHi)
    {
        uint256 lo = bench.lo();
        uint256 hi = bench.hi();
        choice = previous.length;
        for (uint256 i; i < previous.length; ++i) {
            if (previous[i] != _state(bench.position(lo, hi, i), liar)) {
                choice = i;
                break;
            }
        }
        newLo = choice == 0 ? lo : bench.position(lo, hi, choice - 1);
        newHi = choice < previous.length ? bench.position(lo, hi, choice) : hi;
    }

    function _play(uint256 k) internal returns (Tally memory t) {
        NaryBisectionBench bench = new NaryBisectionBench(k, IStepVerifier(address(alphabet)));
        // The defender claims the liar's end state; the challenger opens with its claims.
        bytes32[] memory pending = _claims(bench, 0, LENGTH, false);
        _measure(
            t,
            address(bench),
            abi.encodeCall(bench.open, (_state(0, false), _state(LENGTH, true), uint128(LENGTH), pending))
        );
        bool liarToMove = true;
        while (bench.midPending()) {
            (uint256 choice, uint256 lo, uint256 hi) = _choice(bench, pending, liarToMove);
            bytes32[] memory next = _claims(bench, lo, hi, liarToMove);
            _measure(t, address(bench), abi.encodeCall(bench.move, (pending, choice, next)));
            pending = next;
            liarToMove = !liarToMove;
        }
        uint256 at = bench.lo();
        bytes memory proof = abi.encode(at, START + at);
        _measure(t, address(bench), abi.encodeCall(bench.step, (proof)));
        vm.assertEq(at, LIE_FROM - 1, "bisection found the lie");
        vm.assertEq(bench.moves(), t.moves);
    }

    function _measure(Tally memory t, address target, bytes memory data) internal {
        VmDisputeBench(address(vm)).cool(target);
        uint256 before = gasleft();
        (bool ok,) = target.call(data);
        uint256 used = before - gasleft();
        vm.assertTrue(ok, "call failed");
        uint256 calldataGas;
        for (uint256 i; i < data.length; ++i) {
            calldataGas += data[i] == 0 ? 4 : 16;
        }
        used += 21_000 + calldataGas;
        t.total += used;
        t.moves += 1;
        if (used > t.maxMove) t.maxMove = used;
    }
}
