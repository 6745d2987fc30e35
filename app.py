"""PolicyQA server: the Gradio UI and the HTTP API on one FastAPI app.

`python app.py` indexes settings.data_dir on first start (progress printed), then serves at settings.host:port.
This module only wires: the pipeline (ingest, rag) to the web layer (web.live, web.service, web.api, web.ui).
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from fastapi import FastAPI

from settings import Settings
from web.api import install_api
from web.http import install_edge
from web.live import Busy, LiveIndex, Rebuild, Refresh
from web.openai_api import openai_router
from web.render import build_summary
from web.server import limit_malloc_arenas
from web.service import Services
from web.ui import CSS, HEAD, build_ui, theme


def pipeline_rebuild(settings: Settings, embeddings: Any) -> Rebuild:
    """Re-index settings.data_dir with the given embeddings, then open the new index and a fresh assistant."""
    from ingest.index import IndexBusy, build_index, open_index
    from rag import Assistant

    def rebuild() -> tuple[Any, Any, str]:
        try:
            report = build_index([settings.data_dir], settings, embeddings, progress=True)
        except IndexBusy as exc:  # the lock is taken before anything is read or written
            raise Busy("另一个导入（命令行或其他服务进程）正在更新索引，请稍后再试") from exc
        index = open_index(settings)
        return Assistant.from_settings(settings, embeddings=embeddings, index=index), index, build_summary(report)

    return rebuild


def pipeline_refresh(settings: Settings, embeddings: Any) -> Refresh:
    """Reopen the index when another process replaced the manifest; a stat per request when nothing changed."""
    from ingest.index import manifest_stamp, open_index
    from rag import Assistant

    seen = {"stamp": manifest_stamp(settings)}

    def refresh(index: Any) -> tuple[Any, Any] | None:
        stamp = manifest_stamp(settings)
        if stamp == seen["stamp"]:
            return None
        seen["stamp"] = stamp
        if index.is_current():
            return None
        newer = open_index(settings)
        return Assistant.from_settings(settings, embeddings=embeddings, index=newer), newer

    return refresh


def load_pipeline(settings: Settings) -> tuple[Any, Any, Rebuild, Refresh]:
    """The real assistant and index, building the index first if there is none yet, and how to rebuild and
    refresh them."""
    from ingest.embeddings import load_embeddings
    from ingest.index import index_exists, open_index
    from rag import Assistant

    embeddings = load_embeddings(settings)
    rebuild = pipeline_rebuild(settings, embeddings)
    if not index_exists(settings):
        print(f"首次启动：正在为 {settings.data_dir} 建立索引…", flush=True)
        assistant, index, summary = rebuild()
        print(f"索引已建立：{summary}", flush=True)
    else:
        index = open_index(settings)
        assistant = Assistant.from_settings(settings, embeddings=embeddings, index=index)
    assistant.warm_up()
    return assistant, index, rebuild, pipeline_refresh(settings, embeddings)


def create_app(
    settings: Settings, assistant: Any = None, *, index: Any = None, rebuild: Rebuild | None = None
) -> FastAPI:
    """The whole server. Tests inject a fake `assistant`, `index` and `rebuild`; by default the real pipeline
    is loaded (and the index built if missing), and follows ingests made by other processes."""
    refresh = None
    if assistant is None:
        assistant, index, rebuild, refresh = load_pipeline(settings)
    if index is None:
        from ingest.index import open_index

        index = open_index(settings)
    if rebuild is None:
        from ingest.embeddings import load_embeddings

        rebuild = pipeline_rebuild(settings, load_embeddings(settings))
    services = Services.build(settings, LiveIndex(assistant, index, rebuild, refresh))

    # /docs and /redoc would pull Swagger UI from a CDN; the schema itself stays at /openapi.json.
    app = FastAPI(title="PolicyQA 苏州政策问答 API", version="0.1.0", docs_url=None, redoc_url=None)
    app.state.services = services
    install_edge(app, settings)
    install_api(app, services)
    app.include_router(openai_router(services.answering))
    blocks = build_ui(services)
    # Gradio only checks that a file an event names is one it received itself ("not uploaded by a user")
    # in Blocks that were launched; mounted Blocks never are, so the check is switched on here.
    blocks.has_launched = True
    return gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        theme=theme(),
        css=CSS,
        head=HEAD,
        footer_links=[],
        ssr_mode=False,
        max_file_size=f"{settings.max_upload_mb}mb",
        show_error=True,
    )


def main() -> None:
    import uvicorn

    limit_malloc_arenas()  # before the model and the worker threads allocate
    settings = Settings.from_env()
    app = create_app(settings)
    print(f"PolicyQA 已启动：http://{settings.host}:{settings.port}/", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
