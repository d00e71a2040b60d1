"""The scenario file of a peak-day simulation: stores, lanes, hours, arrivals, baskets, rules."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import orjson
import pydantic
from pydantic import BaseModel, ConfigDict, Field, model_validator

from dre.errors import invalid
from dre.wire.convert import validation_error

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Hours(_Strict):
    from_: str = Field(default="08:00", alias="from", pattern=HHMM)
    to: str = Field(default="20:00", pattern=HHMM)

    def minutes(self) -> tuple[int, int]:
        f = [int(x) for x in self.from_.split(":")]
        t = [int(x) for x in self.to.split(":")]
        return f[0] * 60 + f[1], t[0] * 60 + t[1]

    @model_validator(mode="after")
    def _order(self) -> "Hours":
        a, b = self.minutes()
        if a >= b:
            raise ValueError("opening hours: from must be before to")
        return self


class Peak(_Strict):
    at: str = Field(default="17:00", pattern=HHMM, description="local time of the peak's centre")
    factor: Annotated[float, Field(ge=1, le=20)] = 2.5
    widthHours: Annotated[float, Field(gt=0, le=12)] = 2.0


class Arrivals(_Strict):
    basketsPerLanePerHour: Annotated[float, Field(gt=0, le=600)] = 20
    curve: list[tuple[float, float]] = Field(
        default_factory=lambda: [(8, 0.6), (10, 0.9), (12, 1.2), (14, 1.0), (16, 1.1), (18, 1.0), (20, 0.5)],
        description="(hour, relative rate) points, linearly interpolated; scaled so the day's mean is 1",
    )
    peak: Peak | None = Field(default_factory=Peak, description="a Black-Friday bump on top of the curve")
    random: bool = Field(default=True, description="Poisson counts; false: the expected counts, rounded so that totals stay exact")


class Baskets(_Strict):
    linesMean: Annotated[float, Field(ge=1, le=200)] = 12
    linesMax: Annotated[int, Field(ge=1, le=500)] = 40
    weighedShare: Annotated[float, Field(ge=0, le=1)] = 0.05
    returnShare: Annotated[float, Field(ge=0, le=1)] = 0.01


class Catalogue(_Strict):
    articles: Annotated[int, Field(ge=1, le=5_000_000)] = 50_000
    groups: Annotated[int, Field(ge=1, le=100_000)] = 500
    priceMin: Annotated[float, Field(gt=0)] = 0.29
    priceMax: Annotated[float, Field(gt=0, le=1_000_000)] = 99.99
    popularity: Annotated[float, Field(ge=0, le=3)] = 1.1
    """Zipf exponent of article popularity (0: uniform)."""


class Coupons(_Strict):
    usageRate: Annotated[float, Field(ge=0, le=1)] = 0.0
    """Share of baskets that present one coupon code."""
    codes: list[str] = Field(default_factory=list, description="codes drawn uniformly (GENERIC codes or issued ones)")


class Scenario(_Strict):
    name: str = "peak day"
    date: date
    utcOffset: str = Field(default="+01:00", pattern=r"^[+-]\d\d:\d\d$")
    seed: int = 1
    stores: Annotated[int, Field(ge=1, le=100_000)] = 10
    lanesPerStore: Annotated[int, Field(ge=1, le=200)] = 5
    posGroups: list[str] = Field(default_factory=lambda: ["DEFAULT"], min_length=1)
    channel: str = "IN_STORE"
    openingHours: Hours = Field(default_factory=Hours)
    arrivals: Arrivals = Field(default_factory=Arrivals)
    baskets: Baskets = Field(default_factory=Baskets)
    catalogue: Catalogue = Field(default_factory=Catalogue)
    coupons: Coupons = Field(default_factory=Coupons)
    promotions: list[dict] | str = Field(description="promotion JSON objects, or a path to a promotion file")
    couponTypes: list[dict] = Field(default_factory=list)
    sliceMinutes: Annotated[int, Field(ge=1, le=60)] = 1
    """Baskets of one slice are priced in one batch; budget knowledge is refreshed between slices."""

    @model_validator(mode="after")
    def _prices(self) -> "Scenario":
        if self.catalogue.priceMin > self.catalogue.priceMax:
            raise ValueError("catalogue: priceMin must not exceed priceMax")
        return self


def load_scenario(path: Path) -> tuple[Scenario, Path]:
    """Parse a scenario file; returns it and the folder relative paths in it are resolved against."""
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as e:
        raise invalid(f"{path}: not JSON ({e})") from None
    try:
        return Scenario.model_validate(data), path.parent
    except pydantic.ValidationError as e:
        raise validation_error(e, "scenario") from None
