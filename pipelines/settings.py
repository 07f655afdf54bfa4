"""Paths and environment in one place.

Everything the product reads from the environment (or a `.env` file) is declared here, with the
defaults of docs/contract.md#configuration. Secrets are `SecretStr`, so they never print in a repr
or a log line.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DASHBOARD_APP = PROJECT_ROOT / "dashboards" / "streamlit_app.py"
# What DuckDB takes for `memory_limit`: a number with a unit of 1000^i or 1024^i bytes, or a % of RAM.
MEMORY_AMOUNT = re.compile(r"\s*\d+(\.\d+)?\s*(%|B|[KMGT]i?B?)\s*", re.IGNORECASE)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    incident_lake_db: Path = Path("data/warehouse.duckdb")
    incident_lake_export_dir: Path = Path("data/exports")
    # The dashboard reads this published copy of the marts, never the live warehouse.
    incident_lake_published_db: Path | None = None
    # The dashboard warms every page's default queries of each new snapshot (off: time cold pages).
    incident_lake_dashboard_warmup: bool = True

    # Seconds before a request with no answer is abandoned and retried.
    incident_lake_http_timeout: float = 30.0
    # Client-side rate budgets: 1 = each API's documented limits; N = N times faster (the sandbox at
    # `speed=N`); 0 = off (only 429s slow the sync down).
    incident_lake_rate_scale: float = 1.0

    incidentio_api_key: SecretStr | None = None
    incidentio_base_url: str = "https://api.incident.io"

    slack_bot_token: SecretStr | None = None
    slack_base_url: str = "https://slack.com/api/"
    # Extra channels to sync besides the incident channels (comma separated ids).
    slack_extra_channels: str = ""
    # `tier3` (Marketplace and internal apps) or `nonmarketplace` (1 request/minute, 15 messages a page).
    slack_rate_profile: str = "tier3"
    # Channels of finished incidents re-read per sync (in turns), to catch late replies in old threads.
    slack_recheck_channels_per_sync: int = 100

    zoom_account_id: str | None = None
    zoom_client_id: str | None = None
    zoom_client_secret: SecretStr | None = None
    zoom_base_url: str = "https://api.zoom.us/v2"
    zoom_oauth_url: str = "https://zoom.us/oauth/token"

    pagerduty_api_token: SecretStr | None = None
    pagerduty_base_url: str = "https://api.pagerduty.com"
    pagerduty_lookback_days: int = 365

    # DuckDB's memory budget in every process that opens the warehouse (sync, dbt, export, publish):
    # an amount ("2GB", "512MiB") or a share of RAM ("25%"). DuckDB's own default, 80% of RAM, let a
    # `large` build take 6 GB; past the budget DuckDB spills to the temp directory instead. 2GB: 1GB
    # ran out in the build (two dbt threads share one budget, and not every operator spills).
    incident_lake_duckdb_memory_limit: str = "2GB"
    # Where DuckDB spills; unset: DuckDB's default, `<warehouse>.tmp` beside the warehouse file.
    incident_lake_duckdb_temp_dir: Path | None = None

    @field_validator("incident_lake_duckdb_memory_limit")
    @classmethod
    def _memory_amount(cls, value: str) -> str:
        if not MEMORY_AMOUNT.fullmatch(value):
            raise ValueError(
                f"INCIDENT_LAKE_DUCKDB_MEMORY_LIMIT must be an amount like 1GB, 512MiB or 25% (got {value!r})"
            )
        return value.strip()

    def duckdb_config(self) -> dict[str, str | bool | int | float | list[str]]:
        """The DuckDB settings every warehouse connection of this process opens with (`duckdb.connect(path,
        config=...)`, DuckDBResource's `connection_config`): `memory_limit`, and `temp_directory` when one
        is set. One process must open a file with one config (DuckDB refuses a second, different one),
        hence one function. dbt reads the same variables in dbt_project/profiles.yml."""
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": self.incident_lake_duckdb_memory_limit
        }
        if self.incident_lake_duckdb_temp_dir is not None:
            config["temp_directory"] = str(self.incident_lake_duckdb_temp_dir.expanduser().resolve())
        return config

    @property
    def warehouse_path(self) -> Path:
        return self.incident_lake_db.expanduser().resolve()

    @property
    def dagster_home(self) -> Path:
        """The CLI's Dagster instance when DAGSTER_HOME is not set: `<warehouse>.dagster/` beside it."""
        return self.warehouse_path.with_name(self.warehouse_path.stem + ".dagster")

    @property
    def published_path(self) -> Path:
        if self.incident_lake_published_db is not None:
            return self.incident_lake_published_db.expanduser().resolve()
        return self.warehouse_path.with_name(self.warehouse_path.stem + ".published.duckdb")

    @property
    def export_dir(self) -> Path:
        return self.incident_lake_export_dir.expanduser().resolve()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reload_settings() -> Settings:
    get_settings.cache_clear()
    return get_settings()
