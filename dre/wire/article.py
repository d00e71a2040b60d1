"""The article master JSON of the contract (``/pos/articles/import``)."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from dre.wire.types import NonEmptyStr, UnitPrice

# An attribute value is a plain scalar: the master is not a document store.
Scalar = str | int | float | bool


class ArticleIn(BaseModel):
    """One article: ``{articleNumber, name, articleGroupId, ean?, price?, attributes?}``.

    articleNumber is the key (upsert); articleGroupId is what evaluate fills in for a line that
    carries none. Unknown fields are refused (a misspelt articleGroupId must not go unnoticed).
    """

    model_config = ConfigDict(extra="forbid")

    articleNumber: Annotated[str, Field(min_length=1, max_length=100)]
    name: Annotated[str, Field(min_length=1, max_length=500)]
    articleGroupId: NonEmptyStr
    ean: Annotated[str, Field(pattern=r"^\d{8}$|^\d{12,14}$")] | None = None
    price: UnitPrice | None = None
    attributes: Annotated[dict[Annotated[str, Field(min_length=1, max_length=100)], Scalar],
                          Field(max_length=100)] | None = None
