"""How the official state-test sweeps are cut into pytest tests.

One test per fixture directory is the natural unit (the pass-rate table is per
directory), but pytest-xdist can only balance its workers if no single test runs for
many minutes. So a directory with many files is cut into parts of at most
``max_files`` files, and the files named in ``per_case`` (a handful of long cases) get
one test per case. Every Cancun case of every file is in exactly one group.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from agents.evm.statetest import Case, load_cases

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "ethereum-tests" / "GeneralStateTests"


@dataclass(frozen=True, slots=True)
class Group:
    """Files of one directory, or one case (``case_index``) of one file."""

    directory: str
    files: tuple[Path, ...]
    part: str = ""
    case_index: int | None = None

    @property
    def id(self) -> str:
        if self.case_index is not None:
            return f"{self.files[0].relative_to(ROOT)}::{self.case_index}"
        return self.directory + (f"[{self.part}]" if self.part else "")

    def cases(self) -> list[Case]:
        out: list[Case] = []
        for path in self.files:
            cases, _skipped = load_cases(path)
            out += cases
        if self.case_index is not None:
            return [out[self.case_index]]
        return out


def fixture_files() -> list[Path]:
    return sorted(ROOT.rglob("*.json"))


def groups(max_files: int, per_case: Collection[str] = ()) -> list[Group]:
    """The sweep's groups: per-case groups first (they are the long ones), then parts.

    ``per_case`` holds paths relative to :data:`ROOT`, or directory names relative to it
    (every file below them is split per case).
    """
    by_directory: dict[str, list[Path]] = {}
    single: list[Group] = []
    for path in fixture_files():
        relative = path.relative_to(ROOT)
        directory = str(relative.parent)
        if str(relative) in per_case or directory in per_case:
            cases, _ = load_cases(path)
            single += [Group(directory, (path,), case_index=i) for i in range(len(cases))]
        else:
            by_directory.setdefault(directory, []).append(path)
    parts: list[Group] = []
    for directory, files in sorted(by_directory.items()):
        count = -(-len(files) // max_files)
        for k in range(count):
            chunk = tuple(files[k::count])
            part = f"{k + 1}of{count}" if count > 1 else ""
            parts.append(Group(directory, chunk, part))
    return single + parts
