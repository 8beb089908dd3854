"""create_app(): the JSON API, the HTML pages, static files and error handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import __version__, db
from app.admission import AdmissionMiddleware
from app.api import catalog, docs, health, issuers, public, verifications
from app.api import host as host_api
from app.api import openid4vci as openid4vci_api
from app.api import wallet as wallet_api
from app.api.problems import install_openapi
from app.awards.jobs import JobWorker
from app.clients.leases import LimitLeases
from app.clients.service import LocalWindows
from app.config import PROJECT_ROOT, Environment, Settings, get_settings
from app.db import bookkeeping, get_engine, transaction
from app.handlers import install_error_handlers, unhandled_error_handler
from app.input_guard import refuse_unusable_input
from app.logging import configure_logging
from app.loop_reads import loop_reads
from app.maintenance import MaintenanceWorker
from app.memo import PageCache
from app.middleware import RequestContextMiddleware
from app.sharing.service import OpenCounts
from app.verification.schemas import BatchIn, VerificationIn
from app.web import (
    admin,
    catalog_admin,
    check,
    coach,
    group,
    pages,
    participant_admin,
    passport,
    signin,
)
from app.web import host as host_pages
from app.web import public as public_pages
from app.web import wallet as wallet_pages
from app.web.middleware import WebStateMiddleware


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start this instance's group-award worker (unless RUN_JOBS=false), its periodic
    clean-up (unless MAINTENANCE_SECONDS=0) and the writer of the share links' open counts;
    stop them on shutdown."""
    settings: Settings = app.state.settings
    worker = None
    if settings.run_jobs:
        worker = JobWorker(partial(transaction, app.state.engine), settings)
        worker.start()
    app.state.job_worker = worker
    maintenance = MaintenanceWorker(partial(transaction, app.state.engine), settings)
    maintenance.start()
    open_counts: OpenCounts = app.state.open_counts
    open_counts.start()
    engine = app.state.engine
    if settings.read_on_loop:
        app.state.loop_reads = loop_reads(engine)
        if app.state.loop_reads is not None:
            await app.state.loop_reads.open()
    try:
        yield
    finally:
        if app.state.loop_reads is not None:
            await app.state.loop_reads.close()
            app.state.loop_reads = None
        if worker is not None:
            worker.stop()
        maintenance.stop()
        open_counts.stop()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for the given (or configured) settings."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        lifespan=lifespan,
        title="Osaamispassi",
        version=__version__,
        summary="Open Badges 3.0 competence passport for Finnish work-workshops",
        description=(
            "Issue, share and verify Open Badges 3.0 credentials mapped to Finnish vocational "
            "qualification criteria (ePerusteet)."
        ),
        # Served by app/api/docs.py with local assets (the default page needs a CDN).
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        # Every route: a NUL or an impossible id is a 4xx before anything else runs.
        dependencies=[Depends(refuse_unusable_input)],
    )
    app.state.settings = settings
    app.state.engine = get_engine(settings)
    db.refuse_undeclared_writes = settings.refuse_undeclared_writes
    app.state.bookkeeping = partial(bookkeeping, app.state.engine)
    app.state.job_worker = None
    # Reads on the event loop (app.loop_reads): opened by the lifespan.
    app.state.loop_reads = None
    # Share pages: openings counted here and written every second; rendered pages kept by
    # the digest of what they were made from (decision 0016).
    app.state.open_counts = OpenCounts(lambda *args: app.state.bookkeeping(*args))
    app.state.page_cache = PageCache()
    # Token look-ups counted here when the shared count's lock is busy (app/web/holder.py).
    app.state.local_limits = LocalWindows()
    # This instance's leases of the API's shared rate-limit counts (app/clients/leases.py).
    app.state.limit_leases = LimitLeases()
    install_error_handlers(app)
    app.include_router(health.router)
    # Early: routes are matched in order, and a share page is what is opened most.
    app.include_router(public_pages.router)
    app.include_router(check.router)
    app.include_router(docs.router)
    app.include_router(public.router)
    app.include_router(verifications.router)
    app.include_router(wallet_api.router)
    app.include_router(openid4vci_api.router)
    app.include_router(host_api.router)
    app.include_router(host_pages.router)
    app.include_router(wallet_pages.router)
    app.include_router(catalog.router)
    app.include_router(issuers.router)
    app.include_router(pages.router)
    app.include_router(signin.router)
    app.include_router(coach.router)
    app.include_router(group.router)
    app.include_router(admin.router)
    app.include_router(catalog_admin.router)
    app.include_router(participant_admin.router)
    app.include_router(passport.router)
    install_openapi(app, [VerificationIn, BatchIn])
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    app.mount(docs.ASSETS_PATH, StaticFiles(directory=docs.ASSETS_DIR), name="api-docs-assets")
    app.add_middleware(WebStateMiddleware, secure_cookies=settings.secure_cookies)
    # Inside the request context (logged with its id and whole time), outside everything
    # that uses the database (app/admission.py).
    app.add_middleware(
        AdmissionMiddleware,
        limit=settings.max_concurrent_requests,
        wait_seconds=settings.admission_wait_seconds,
    )
    app.add_middleware(
        RequestContextMiddleware,
        hsts=settings.public_origin.startswith("https://"),
        on_error=unhandled_error_handler,
        reraise=settings.environment is Environment.test,
    )
    if settings.trusted_proxy_list:
        # Outermost, so every later layer (limits, sign-in throttling, audit) sees the client
        # the proxy reports; only for the configured proxies. `serve` turns uvicorn's own
        # handling off, which would trust 127.0.0.1 by default.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    return app
