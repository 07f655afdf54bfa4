"""The sandbox: faithful simulators of the incident.io, Slack, Zoom and PagerDuty APIs on loopback, fed by a
deterministic synthetic organisation. See `README.md` in this folder."""

from pipelines.sandbox.faults import FaultSpec, Stats
from pipelines.sandbox.generator import SIZES, generate_organisation
from pipelines.sandbox.model import Credentials, Organisation, Person
from pipelines.sandbox.mutations import mutate
from pipelines.sandbox.server import SandboxServer, run_sandbox

__all__ = [
    "SIZES",
    "Credentials",
    "FaultSpec",
    "Organisation",
    "Person",
    "SandboxServer",
    "Stats",
    "generate_organisation",
    "mutate",
    "run_sandbox",
]
