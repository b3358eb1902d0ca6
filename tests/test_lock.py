"""The lock file pins exactly what runs: every dependency the project declares (and every
extra) is in requirements.lock, at a version its specifier admits, with hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _pins() -> dict[str, tuple[str, int]]:
    """Each pinned package's version and how many hashes the lock gives for it."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = (match.group(2), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [Requirement(text) for text in project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        declared += [Requirement(text) for text in extra]
    return declared


def test_every_declared_dependency_is_pinned_with_hashes() -> None:
    pins = _pins()
    assert len(pins) > 20  # the lock holds the whole tree, not only the direct names
    problems = []
    for requirement in _declared():
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement.name} is not in requirements.lock (run make lock)")
            continue
        version, hashes = pins[name]
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement} but the lock pins {version} (run make lock)")
        if hashes == 0:
            problems.append(f"{requirement.name}=={version} has no hash in requirements.lock")
    assert problems == []


def test_every_pin_has_a_hash() -> None:
    unhashed = [name for name, (_, hashes) in _pins().items() if hashes == 0]
    assert unhashed == []
