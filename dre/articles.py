"""The article master: validating imported articles one by one (no I/O).

Each article is checked on its own, so one bad article does not stop the others; a failure names
its JSON path under ``articles[<index>]``. The stored document is the article as sent (it passed
a model that refuses unknown fields), which saves re-serialising a million of them.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson
import pydantic

from dre.errors import Issue
from dre.wire.article import ArticleIn
from dre.wire.convert import validation_error

MAX_ISSUES_PER_ARTICLE = 10  # a hopeless article need not list 50 problems


@dataclass(frozen=True)
class ArticleFailure:
    index: int  # position in the submitted ``articles`` array
    article_number: str | None  # when the article had a readable one
    issues: tuple[Issue, ...]

    def to_json(self) -> dict:
        return {"index": self.index, "articleNumber": self.article_number,
                "errors": [i.to_json() for i in self.issues]}


@dataclass(frozen=True)
class CheckedArticles:
    valid: list[tuple[int, str, str]]  # (index, articleNumber, JSON to store), in input order
    failed: list[ArticleFailure]


def check_articles(items: Sequence[object], first_index: int = 0) -> CheckedArticles:
    """Validate ``items`` (raw JSON values); ``first_index`` is the index of ``items[0]`` in the
    submitted array (for paths). CPU bound: callers with many articles run it in a thread."""
    valid: list[tuple[int, str, str]] = []
    failed: list[ArticleFailure] = []
    validate = ArticleIn.__pydantic_validator__.validate_python  # skips a layer of dispatch per item
    for offset, item in enumerate(items):
        index = first_index + offset
        root = f"articles[{index}]"
        if not isinstance(item, dict):
            failed.append(ArticleFailure(index, None, (Issue(root, "must be an object"),)))
            continue
        try:
            article = validate(item)
        except pydantic.ValidationError as exc:
            number = item.get("articleNumber")
            issues = tuple(validation_error(exc, root).details[:MAX_ISSUES_PER_ARTICLE])
            failed.append(ArticleFailure(index, number if isinstance(number, str) else None, issues))
            continue
        valid.append((index, article.articleNumber, orjson.dumps(item).decode()))
    return CheckedArticles(valid, failed)
