"""Fixtures of the one-step prover tests: ``tests/challenger`` helpers are importable
(``challenger_env``) for the EVM-backed dispute tests."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "challenger"))
