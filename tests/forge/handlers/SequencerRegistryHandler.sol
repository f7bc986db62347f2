// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "../utils/Vm.sol";
import {SequencerRegistry} from "../../../contracts/SequencerRegistry.sol";
import {MockERC20} from "../tokens/MockERC20.sol";

/// @title SequencerRegistryHandler
/// @notice Invariant-fuzzing handler: drives a registry through random sequences of stake,
///         delegate, withdrawal requests, claims, slashes, time jumps and (de)registrations
///         by a fixed cast of operators and delegators, over ETH and one standard ERC-20.
///         Each action checks its own post-conditions against values read just before it
///         and counts violations in ghost variables the invariant test asserts are zero.
contract SequencerRegistryHandler {
    /// @dev Foundry's cheatcode address.
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    /// @notice The registry under test.
    SequencerRegistry public immutable registry;
    /// @notice The standard ERC-20 stake token.
    MockERC20 public immutable token;
    /// @notice The authorized slasher the handler acts as.
    address public constant SLASHER = address(0x5A5A);
    /// @notice Recipient of slashed funds.
    address public constant SINK = address(0x51A5);

    /// @dev Operators (indices 0..2 of `_actors` are the operators themselves).
    address[] internal _operators;
    /// @dev Operators then pure delegators.
    address[] internal _actors;
    /// @dev ETH (`address(0)`) and `token`.
    address[] internal _tokens;
    /// @dev Signing-key private key of each operator (to re-register).
    mapping(address => uint256) internal _keyOf;

    /// @notice Post-condition failures of `slash` (wrong amounts or order).
    uint256 public slashViolations;
    /// @notice Withdrawal requests or claims that paid more than the proportional value.
    uint256 public overpayViolations;
    /// @notice Total slashed per token (what the sink must have received).
    mapping(address => uint256) public slashedTotal;

    /// @notice Call counters, to see the run exercised the interesting paths.
    uint256 public stakes;
    uint256 public requests;
    uint256 public claims;
    uint256 public slashes;
    uint256 public slashesHittingUnbonding;
    uint256 public deregistrations;

    /// @param registry_ The registry (the handler must be an authorized slasher via SLASHER).
    /// @param token_ The standard stake token.
    constructor(SequencerRegistry registry_, MockERC20 token_) {
        registry = registry_;
        token = token_;
        _tokens.push(address(0));
        _tokens.push(address(token_));
        for (uint256 i; i < 3; ++i) {
            address op = address(uint160(0x0B00 + i));
            _operators.push(op);
            _actors.push(op);
            _keyOf[op] = 100 + i;
            vm.prank(op);
            registry_.register("tcp://seq:30303", _key(100 + i));
        }
        for (uint256 i; i < 3; ++i) {
            _actors.push(address(uint160(0xD000 + i)));
        }
    }

    ////////////////////////////////////////////////////////////////
    //                          ACTIONS                           //
    ////////////////////////////////////////////////////////////////

    /// @notice An actor stakes (or, for an operator on itself, self-stakes) with an operator.
    function deposit(uint256 actorSeed, uint256 opSeed, uint256 tokenSeed, uint256 amount) external {
        address actor = _actors[actorSeed % _actors.length];
        address op = _operators[opSeed % _operators.length];
        address tkn = _tokens[tokenSeed % _tokens.length];
        if (!registry.isActiveOperator(op)) return;
        amount = _bound(amount, 1, 1e24);
        uint256 valueBefore = registry.stakeOf(op, tkn, actor);
        if (tkn == address(0)) {
            vm.deal(actor, amount);
            vm.prank(actor);
            registry.delegate{value: amount}(op, tkn, amount);
        } else {
            token.mint(actor, amount);
            vm.startPrank(actor);
            token.approve(address(registry), amount);
            registry.delegate(op, tkn, amount);
            vm.stopPrank();
        }
        // A deposit never credits more than was put in.
        if (registry.stakeOf(op, tkn, actor) > valueBefore + amount) ++overpayViolations;
        ++stakes;
    }

    /// @notice An actor queues a withdrawal of a fraction of its shares.
    function requestWithdrawal(uint256 actorSeed, uint256 opSeed, uint256 tokenSeed, uint256 bps) external {
        address actor = _actors[actorSeed % _actors.length];
        address op = _operators[opSeed % _operators.length];
        address tkn = _tokens[tokenSeed % _tokens.length];
        uint256 held = registry.sharesOf(op, tkn, actor);
        uint256 shares = held * _bound(bps, 1, 10_000) / 10_000;
        if (shares == 0) return;
        SequencerRegistry.Pool memory pool = registry.activePool(op, tkn);
        uint256 proportional = shares * pool.assets / pool.shares;
        if (proportional == 0) return;
        vm.prank(actor);
        try registry.requestWithdrawal(op, tkn, shares) returns (uint256, uint256 amount) {
            if (amount > proportional) ++overpayViolations;
            ++requests;
        } catch {
            // ZeroWithdrawalAmount is legitimate when the virtual-offset value rounds to 0.
        }
    }

    /// @notice Claim a withdrawal (jumping time forward to its claimable timestamp if needed).
    function claim(uint256 idSeed) external {
        uint256 count = registry.withdrawalCount();
        if (count == 0) return;
        uint256 id = idSeed % count;
        SequencerRegistry.Withdrawal memory w = registry.getWithdrawal(id);
        if (w.claimed) return;
        if (block.timestamp < w.claimableAt) vm.warp(w.claimableAt);
        uint256 value = registry.withdrawalValue(id);
        uint256 unbondingBefore = registry.unbondingStake(w.operator, w.token);
        SequencerRegistry.Pool memory pool = registry.unbondingPool(w.operator, w.token);
        uint256 proportional = pool.generation == w.generation ? w.shares * pool.assets / pool.shares : 0;
        vm.prank(w.account);
        uint256 paid = registry.claimWithdrawal(id);
        if (paid != value || paid > w.requestedAmount || paid > unbondingBefore || paid > proportional) {
            ++overpayViolations;
        }
        ++claims;
    }

    /// @notice Slash an operator in a token; checks order (active first) and caps.
    function slash(uint256 opSeed, uint256 tokenSeed, uint256 amount) external {
        address op = _operators[opSeed % _operators.length];
        address tkn = _tokens[tokenSeed % _tokens.length];
        amount = _bound(amount, 1, 3e24);
        uint256 active = registry.activeStake(op, tkn);
        uint256 unbonding = registry.unbondingStake(op, tkn);
        uint256 sinkBefore = _balance(tkn, SINK);

        vm.prank(SLASHER);
        uint256 slashed = registry.slash(op, tkn, amount, SINK);

        uint256 fromActive = amount < active ? amount : active;
        uint256 rest = amount - fromActive;
        uint256 fromUnbonding = rest < unbonding ? rest : unbonding;
        if (
            slashed != fromActive + fromUnbonding || slashed > active + unbonding
                || registry.activeStake(op, tkn) != active - fromActive
                || registry.unbondingStake(op, tkn) != unbonding - fromUnbonding
                || _balance(tkn, SINK) != sinkBefore + slashed
        ) ++slashViolations;
        slashedTotal[tkn] += slashed;
        if (fromUnbonding != 0) ++slashesHittingUnbonding;
        ++slashes;
    }

    /// @notice Let time pass.
    function warp(uint256 secondsForward) external {
        vm.warp(block.timestamp + _bound(secondsForward, 1, 10 days));
    }

    /// @notice An operator deregisters (after queueing its own stake out) or registers again.
    function toggleOperator(uint256 opSeed) external {
        address op = _operators[opSeed % _operators.length];
        if (registry.isActiveOperator(op)) {
            for (uint256 i; i < _tokens.length; ++i) {
                if (registry.stakeOf(op, _tokens[i], op) != 0) {
                    vm.prank(op);
                    registry.requestWithdrawal(op, _tokens[i], type(uint256).max);
                }
            }
            vm.prank(op);
            registry.deregister();
            ++deregistrations;
        } else {
            vm.prank(op);
            registry.register("tcp://seq:30304", _key(_keyOf[op]));
        }
    }

    ////////////////////////////////////////////////////////////////
    //                      VIEWS FOR CHECKS                      //
    ////////////////////////////////////////////////////////////////

    /// @notice The operators.
    function operators() external view returns (address[] memory) {
        return _operators;
    }

    /// @notice Every actor (operators first).
    function actors() external view returns (address[] memory) {
        return _actors;
    }

    /// @notice The stake tokens (ETH first).
    function tokens() external view returns (address[] memory) {
        return _tokens;
    }

    ////////////////////////////////////////////////////////////////
    //                          HELPERS                           //
    ////////////////////////////////////////////////////////////////

    function _key(uint256 pk) internal returns (bytes memory) {
        Vm.Wallet memory w = vm.createWallet(pk);
        return abi.encodePacked(w.publicKeyX, w.publicKeyY);
    }

    function _balance(address tkn, address who) internal view returns (uint256) {
        return tkn == address(0) ? who.balance : token.balanceOf(who);
    }

    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        if (x >= min && x <= max) return x;
        return min + (x % (max - min + 1));
    }
}
