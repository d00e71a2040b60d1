"""Store settings bodies: ``PUT /admin/stores/{storeId}`` and ``PUT /admin/settings`` (the default)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dre.zones import is_zone_name


class StoreSettingsIn(BaseModel):
    """A store's settings (or the tenant's default for stores without their own)."""

    model_config = ConfigDict(extra="forbid")

    timeZone: str | None = Field(
        None, max_length=64, examples=["Europe/Berlin"],
        description="IANA time zone name. TIME conditions and validity hours are judged at the instant of "
                    "header.timestamp in this zone; null: the tenant default (for a store) or the "
                    "timestamp's own offset (for the default).")

    @field_validator("timeZone")
    @classmethod
    def _known_zone(cls, v: str | None) -> str | None:
        if v is not None and not is_zone_name(v):
            raise ValueError("not an IANA time zone name (e.g. Europe/Berlin)")
        return v
