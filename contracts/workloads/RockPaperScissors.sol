// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title RockPaperScissors
/// @notice A small on-chain game for flash layers: two players stake the same amount,
///         commit to a move, then reveal it; the winner takes both stakes (a draw
///         returns them). Match ids are chosen by the players, so two players can agree
///         on one off-chain and send their moves without waiting for each other.
///
///         commitment = keccak256(abi.encode(matchId, player, move, salt))
///
///         The first commit to an unused id opens the match and sets its stake; the
///         second commit (another account, the same stake) fills it and starts the
///         reveal window. After the window, `claimTimeout` awards the match to the only
///         player who revealed (or refunds both when neither did). A player alone in a
///         match may cancel it. Winnings are credited and withdrawn (pull payments).
contract RockPaperScissors {
    /// @notice A move; `None` means "not revealed".
    enum Move {
        None,
        Rock,
        Paper,
        Scissors
    }

    /// @notice Where a match is.
    enum Phase {
        None,
        WaitingForOpponent,
        Revealing,
        Settled
    }

    /// @notice How a match ended.
    enum Outcome {
        None,
        FirstWon,
        SecondWon,
        Draw,
        Cancelled
    }

    /// @notice One match.
    struct Match {
        address first;
        address second;
        bytes32 firstCommitment;
        bytes32 secondCommitment;
        uint128 stake;
        uint64 revealDeadline;
        Move firstMove;
        Move secondMove;
        Phase phase;
        Outcome outcome;
    }

    /// @notice Seconds both players have to reveal once the match is full.
    uint64 public immutable REVEAL_WINDOW;

    /// @notice Withdrawable winnings and refunds.
    mapping(address player => uint256 amount) public credit;
    /// @notice Matches won by each player.
    mapping(address player => uint256 count) public wins;
    /// @notice Matches settled so far.
    uint256 public matchesSettled;

    mapping(bytes32 matchId => Match) private _matches;

    /// @notice Thrown at deployment for a zero reveal window.
    error ZeroRevealWindow();
    /// @notice Thrown for a zero commitment.
    error ZeroCommitment();
    /// @notice Thrown when committing to a match that already has two players or ended.
    /// @param matchId The match.
    error MatchFull(bytes32 matchId);
    /// @notice Thrown when a player commits twice to one match.
    /// @param matchId The match.
    error AlreadyCommitted(bytes32 matchId);
    /// @notice Thrown when the second stake differs from the first.
    /// @param expected The match's stake.
    /// @param sent `msg.value`.
    error StakeMismatch(uint256 expected, uint256 sent);
    /// @notice Thrown when the stake does not fit in 128 bits.
    error StakeTooLarge();
    /// @notice Thrown when an action needs the match in another phase.
    /// @param matchId The match.
    /// @param phase Its current phase.
    error WrongPhase(bytes32 matchId, Phase phase);
    /// @notice Thrown when the caller is not a player of the match.
    /// @param matchId The match.
    /// @param caller The account.
    error NotAPlayer(bytes32 matchId, address caller);
    /// @notice Thrown when revealing `Move.None` or an out-of-range move.
    error InvalidMove();
    /// @notice Thrown when a reveal does not open the caller's commitment.
    /// @param matchId The match.
    error CommitmentMismatch(bytes32 matchId);
    /// @notice Thrown when revealing twice.
    /// @param matchId The match.
    error AlreadyRevealed(bytes32 matchId);
    /// @notice Thrown when revealing after the window or claiming a timeout before it.
    /// @param deadline The reveal deadline.
    error RevealWindow(uint64 deadline);
    /// @notice Thrown when withdrawing with nothing credited.
    error NothingToWithdraw();
    /// @notice Thrown when the receiver refuses the ETH.
    error WithdrawFailed();

    /// @notice Emitted for each commitment.
    /// @param matchId The match.
    /// @param player The committing player.
    /// @param seat 1 for the player who opened the match, 2 for the opponent.
    /// @param stake Wei staked.
    event MoveCommitted(bytes32 indexed matchId, address indexed player, uint8 seat, uint256 stake);
    /// @notice Emitted for each reveal.
    /// @param matchId The match.
    /// @param player The revealing player.
    /// @param move The move.
    event MoveRevealed(bytes32 indexed matchId, address indexed player, Move move);
    /// @notice Emitted when a match ends.
    /// @param matchId The match.
    /// @param outcome How it ended.
    /// @param winner The winner (zero for a draw or a cancellation).
    /// @param pot Wei credited in total.
    event MatchSettled(bytes32 indexed matchId, Outcome outcome, address indexed winner, uint256 pot);
    /// @notice Emitted when a player withdraws credited wei.
    /// @param player Receiver.
    /// @param amount Wei.
    event CreditWithdrawn(address indexed player, uint256 amount);

    /// @param revealWindow Seconds to reveal once both players committed (> 0).
    constructor(uint64 revealWindow) {
        if (revealWindow == 0) revert ZeroRevealWindow();
        REVEAL_WINDOW = revealWindow;
    }

    /// @notice The commitment `player` must send to play `move` with `salt` in `matchId`.
    function commitmentOf(bytes32 matchId, address player, Move move, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(matchId, player, move, salt));
    }

    /// @notice Commit to a move in `matchId`, staking `msg.value`: open the match or
    ///         join it with the same stake.
    function commit(bytes32 matchId, bytes32 commitment) external payable {
        // INVARIANT: a commitment always binds to something.
        if (commitment == bytes32(0)) revert ZeroCommitment();
        Match storage m = _matches[matchId];
        if (m.phase == Phase.None) {
            if (msg.value > type(uint128).max) revert StakeTooLarge();
            m.first = msg.sender;
            m.firstCommitment = commitment;
            m.stake = uint128(msg.value);
            m.phase = Phase.WaitingForOpponent;
            emit MoveCommitted(matchId, msg.sender, 1, msg.value);
            return;
        }
        // INVARIANT: a match has exactly two players.
        if (m.phase != Phase.WaitingForOpponent) revert MatchFull(matchId);
        // INVARIANT: nobody plays against themselves.
        if (msg.sender == m.first) revert AlreadyCommitted(matchId);
        // INVARIANT: both players put the same amount at stake.
        if (msg.value != m.stake) revert StakeMismatch(m.stake, msg.value);
        m.second = msg.sender;
        m.secondCommitment = commitment;
        m.phase = Phase.Revealing;
        m.revealDeadline = uint64(block.timestamp) + REVEAL_WINDOW;
        emit MoveCommitted(matchId, msg.sender, 2, msg.value);
    }

    /// @notice Reveal the caller's move in `matchId`; the second reveal settles the match.
    function reveal(bytes32 matchId, Move move, bytes32 salt) external {
        Match storage m = _matches[matchId];
        // INVARIANT: moves are revealed only once both are committed.
        if (m.phase != Phase.Revealing) revert WrongPhase(matchId, m.phase);
        // INVARIANT: reveals after the deadline cannot change a timed-out match.
        if (block.timestamp > m.revealDeadline) revert RevealWindow(m.revealDeadline);
        if (move == Move.None) revert InvalidMove();
        bool isFirst = msg.sender == m.first;
        if (!isFirst && msg.sender != m.second) revert NotAPlayer(matchId, msg.sender);
        // INVARIANT: a revealed move is the committed one.
        bytes32 expected = isFirst ? m.firstCommitment : m.secondCommitment;
        if (commitmentOf(matchId, msg.sender, move, salt) != expected) revert CommitmentMismatch(matchId);
        if (isFirst) {
            if (m.firstMove != Move.None) revert AlreadyRevealed(matchId);
            m.firstMove = move;
        } else {
            if (m.secondMove != Move.None) revert AlreadyRevealed(matchId);
            m.secondMove = move;
        }
        emit MoveRevealed(matchId, msg.sender, move);
        if (m.firstMove != Move.None && m.secondMove != Move.None) {
            _settle(matchId, m, _judge(m.firstMove, m.secondMove));
        }
    }

    /// @notice After the reveal window, award the match to the only player who revealed,
    ///         or refund both when neither did. Anyone may call.
    function claimTimeout(bytes32 matchId) external {
        Match storage m = _matches[matchId];
        if (m.phase != Phase.Revealing) revert WrongPhase(matchId, m.phase);
        // INVARIANT: a timeout is only claimable once the window has passed.
        if (block.timestamp <= m.revealDeadline) revert RevealWindow(m.revealDeadline);
        Outcome outcome;
        if (m.firstMove != Move.None) outcome = Outcome.FirstWon;
        else if (m.secondMove != Move.None) outcome = Outcome.SecondWon;
        else outcome = Outcome.Draw;
        _settle(matchId, m, outcome);
    }

    /// @notice Cancel a match nobody joined and get the stake back. Only its opener.
    function cancel(bytes32 matchId) external {
        Match storage m = _matches[matchId];
        if (m.phase != Phase.WaitingForOpponent) revert WrongPhase(matchId, m.phase);
        if (msg.sender != m.first) revert NotAPlayer(matchId, msg.sender);
        _settle(matchId, m, Outcome.Cancelled);
    }

    /// @notice Withdraw the caller's winnings and refunds.
    function withdraw() external {
        uint256 amount = credit[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        credit[msg.sender] = 0;
        emit CreditWithdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert WithdrawFailed();
    }

    /// @notice The match `matchId` (all zero if unused).
    function getMatch(bytes32 matchId) external view returns (Match memory) {
        return _matches[matchId];
    }

    /// @dev Rock beats scissors, scissors beat paper, paper beats rock.
    function _judge(Move a, Move b) internal pure returns (Outcome) {
        if (a == b) return Outcome.Draw;
        // With Rock=1, Paper=2, Scissors=3: a wins iff a == b + 1 (mod 3).
        return (uint8(a) % 3 == (uint8(b) + 1) % 3) ? Outcome.FirstWon : Outcome.SecondWon;
    }

    function _settle(bytes32 matchId, Match storage m, Outcome outcome) internal {
        uint256 stake = m.stake;
        m.phase = Phase.Settled;
        m.outcome = outcome;
        ++matchesSettled;
        address winner;
        uint256 pot;
        if (outcome == Outcome.FirstWon || outcome == Outcome.SecondWon) {
            winner = outcome == Outcome.FirstWon ? m.first : m.second;
            pot = 2 * stake;
            credit[winner] += pot;
            ++wins[winner];
        } else if (outcome == Outcome.Draw) {
            pot = 2 * stake;
            credit[m.first] += stake;
            credit[m.second] += stake;
        } else {
            pot = stake;
            credit[m.first] += stake;
        }
        emit MatchSettled(matchId, outcome, winner, pot);
    }
}
