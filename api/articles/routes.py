"""Article master imports and their job status (thin; see ``imports``). Admin-only routes
(``admin_only``: 403 FORBIDDEN for a POS key)."""
from __future__ import annotations

from quart import Blueprint, Response, g, request
from quart_schema import document_request, document_response

from api.articles import imports as ops
from api.articles.schemas import ArticlesBody, ImportAccepted, ImportJob, ImportResult
from api.http.auth import admin_only
from api.http.body_stream import stream_body
from api.http.errors import json_response
from api.http.openapi import AUTH_ERRORS, BODY_ERRORS, errors
from api.http.validation import validate_request
from api.services import current_services

bp = Blueprint("articles", __name__)

BATCH_PATH = "/pos/articles/import-batch"
LARGE_BODY_PATHS = frozenset({BATCH_PATH})  # take DRE_MAX_IMPORT_BYTES instead of the 1 MiB limit


@bp.post("/pos/articles/import")
@admin_only
@validate_request(ArticlesBody)
@document_response(ImportResult, 200)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 503)
async def import_articles(data: ArticlesBody) -> Response:
    """Upsert articles by articleNumber now. Each article is validated on its own: the answer
    lists every article's outcome (CREATED, UPDATED, or FAILED with the failing paths), and one
    bad article does not stop the others. Bound by the 1 MiB body limit (~5-10k articles); use
    import-batch for more."""
    return json_response(await ops.import_sync(current_services(), g.tenant, data.articles))


@bp.post(BATCH_PATH)
@admin_only
@document_request(ArticlesBody)
@document_response(ImportAccepted, 202)
@errors(*BODY_ERRORS, *AUTH_ERRORS, 503)
async def import_batch() -> Response:
    """Queue a large import (a million articles is fine; body limit DRE_MAX_IMPORT_BYTES, 512 MiB
    by default) and answer 202 with its `jobId` once the body is in. The body is streamed and
    stored in chunks as it arrives (a worker's memory does not grow with it); a body past the
    limit is 413 and leaves nothing. The articles are stored before the answer, so a restart
    resumes the job; follow it at `/admin/ArticleImportJobs({jobId})`."""
    services = current_services()
    pieces = stream_body(request, services.config.max_import_bytes)
    accepted = await ops.submit_batch(services, g.tenant, pieces)
    return json_response(accepted, 202, {"Location": f"/admin/ArticleImportJobs({accepted['jobId']})"})


@bp.get("/admin/ArticleImportJobs(<job_id>)")
@admin_only
@document_response(ImportJob, 200)
@errors(*AUTH_ERRORS, 404, 503)
async def import_job(job_id: str) -> Response:
    """Progress of a batch import: QUEUED, RUNNING, COMPLETED or FAILED; processed and failed
    counts, and the first 1,000 article errors. Kept 7 days after it ends."""
    return json_response(await ops.job_status(current_services(), g.tenant, job_id))
