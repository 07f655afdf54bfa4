"""Fixtures: one small organisation and one server shared by the read-only tests; tests that change data
or inject faults build their own."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sandbox_support import ANCHOR

from pipelines.sandbox import Organisation, SandboxServer, generate_organisation


@pytest.fixture(scope="session")
def org() -> Organisation:
    return generate_organisation("small", seed=42, anchor=ANCHOR)


@pytest.fixture(scope="session")
def server(org: Organisation) -> Iterator[SandboxServer]:
    with SandboxServer(org) as s:
        yield s


@pytest.fixture(scope="session")
def env(server: SandboxServer) -> dict[str, str]:
    return server.env()


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture
def fresh_org() -> Organisation:
    """An organisation of its own, for tests that mutate it."""
    return generate_organisation("small", seed=42, anchor=ANCHOR)
