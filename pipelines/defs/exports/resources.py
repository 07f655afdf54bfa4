"""The Postgres warehouse that `incident-lake export --postgres` and the `load_postgres` job load into."""

from __future__ import annotations

import os

import dagster as dg

DSN_VAR = "INCIDENT_LAKE_POSTGRES_DSN"


class PostgresResource(dg.ConfigurableResource):
    """A Postgres DSN (`postgresql://user:password@host:port/dbname`), set through `EnvVar` so its
    password never reaches run config, logs or the Dagster UI. `None` when the variable is unset."""

    dsn: str | None = None

    def require_dsn(self) -> str:
        """The DSN; raises `dg.Failure` naming the variable when none is configured."""
        if not self.dsn:
            raise dg.Failure(
                description=f"{DSN_VAR} is not set: run `incident-lake export --postgres DSN` "
                "or set it before turning on the postgres_load schedule."
            )
        return self.dsn


def postgres_resource() -> PostgresResource:
    # An EnvVar only when the variable exists: a missing DSN is a clear failure at run time, not a load error.
    return PostgresResource(dsn=dg.EnvVar(DSN_VAR) if os.environ.get(DSN_VAR) else None)
