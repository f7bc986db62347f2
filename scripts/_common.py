"""Shared pieces of the ape scripts: accounts, deployments, amounts, readable errors.

Ape skips script files whose names start with ``_``; the scripts import this module.
Every script turns failures into a one-line ``click`` error (no traceback): a contract
revert shows its custom error with arguments, e.g. ``InsufficientShares(requested=..)``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import click

from agents.l1.deployments import DeploymentError, chain_deployments
from agents.l1.errors import decode_revert
from agents.l1.registries import ETH, ETH_SYMBOL
from agents.l1.rollup_request import RequestError

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> click.ClickException:
    return click.ClickException(message)


def readable_errors(function: F) -> F:
    """Run ``function`` turning known failures into one-line click errors."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ape.exceptions import ApeException, ContractLogicError, CustomError

        try:
            return function(*args, **kwargs)
        except click.ClickException:
            raise
        except CustomError as error:
            arguments = ", ".join(f"{key}={value}" for key, value in error.inputs.items())
            raise fail(f"reverted: {error.name}({arguments})") from None
        except ContractLogicError as error:
            raise fail(f"reverted: {_describe_revert(error)}") from None
        except (DeploymentError, RequestError, ValueError) as error:
            raise fail(str(error)) from None
        except ApeException as error:
            raise fail(f"{type(error).__name__}: {error}") from None

    return wrapper  # type: ignore[return-value]


def _describe_revert(error: Exception) -> str:
    """The revert reason of an ape error, decoding raw custom-error data when ape could not.

    For reverting calls ape reports ``custom error 0x<selector>: <payload>`` with the
    ABI payload as raw characters; decode it with every compiled contract's errors.
    """
    texts = [str(getattr(error, "base_err", "") or ""), str(getattr(error, "message", "") or error)]
    pattern = re.compile(r"(?:execution reverted: )?custom error 0x([0-9a-fA-F]{8}):\s?(.*)", re.S)
    for text in texts:
        raw = pattern.match(text)
        if raw is not None:
            payload = raw.group(2).encode("latin-1", errors="replace")
            return str(decode_revert(bytes.fromhex(raw.group(1)) + payload))
    return texts[1] or "no reason given"


def account_option() -> Callable[[F], F]:
    return click.option(
        "--account",
        "account_index",
        type=click.IntRange(0, 9),
        default=0,
        show_default=True,
        help="Index of the test account (the standard mnemonic's accounts anvil funds).",
    )


def test_account(index: int) -> Any:
    from ape import accounts

    return accounts.test_accounts[index]


def deployed(name: str) -> Any:
    """The ape contract instance of ``name`` from the deployments file for this chain."""
    from ape import chain, project

    entries = chain_deployments(chain.chain_id)
    if name not in entries:
        raise fail(f"{name} is not in the deployments file for chain {chain.chain_id}")
    contract_name = "DevnetToken" if name.startswith("token:") else name
    return getattr(project, contract_name).at(entries[name].address)


def token_address(symbol: str) -> str:
    """Address of a stake token by symbol (``ETH`` is the zero address)."""
    from ape import chain

    if symbol.upper() == ETH_SYMBOL:
        return ETH
    entries = chain_deployments(chain.chain_id)
    entry = entries.get(f"token:{symbol}")
    if entry is None:
        known = ", ".join(
            [ETH_SYMBOL] + [name.split(":", 1)[1] for name in entries if name.startswith("token:")]
        )
        raise fail(f"unknown token {symbol!r} (deployed: {known})")
    return entry.address


def token_symbols() -> dict[str, str]:
    """Every stake token of this chain's deployment, by symbol."""
    from ape import chain

    entries = chain_deployments(chain.chain_id)
    symbols = {ETH_SYMBOL: ETH}
    symbols.update(
        {n.split(":", 1)[1]: e.address for n, e in entries.items() if n.startswith("token:")}
    )
    return symbols


def parse_amount(text: str) -> int:
    """Whole tokens with up to 18 decimals (``"1.5"``) -> base units."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise fail(f"amount {text!r} is not a number") from None
    scaled = value * 10**18
    if value <= 0 or scaled != scaled.to_integral_value():
        raise fail(f"amount {text!r} must be positive with at most 18 decimals")
    return int(scaled)
