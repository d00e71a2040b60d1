"""Article imports: the request body (validated per article later) and the answers (documented)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ArticlesBody(BaseModel):
    """``{"articles": [...]}``; each article is validated on its own (see ArticleIn)."""

    articles: list[Any] = Field(description="Article objects: {articleNumber, name, articleGroupId, ean?, "
                                            "price?, attributes?}")


class ArticleIssue(BaseModel):
    path: str
    issue: str


class ArticleOutcome(BaseModel):
    index: int
    articleNumber: str | None
    status: Literal["CREATED", "UPDATED", "FAILED"]
    errors: list[ArticleIssue] = Field(default_factory=list)


class ImportResult(BaseModel):
    total: int
    created: int
    updated: int
    failed: int
    results: list[ArticleOutcome] = Field(description="One per submitted article, in order")


class ImportAccepted(BaseModel):
    jobId: str
    status: Literal["QUEUED"]
    total: int


class ImportError(BaseModel):
    index: int
    articleNumber: str | None
    errors: list[ArticleIssue]


class ImportJob(BaseModel):
    jobId: str
    status: Literal["QUEUED", "RUNNING", "COMPLETED", "FAILED"]
    total: int
    processed: int
    failed: int
    created: int
    updated: int
    errors: list[ImportError] = Field(description="The first failures (capped at 1,000; counts are exact)")
    lastError: str | None = Field(description="Why a FAILED job stopped")
    createdAt: str
    startedAt: str | None
    completedAt: str | None
