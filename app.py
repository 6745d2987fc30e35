"""PolicyQA server: the Gradio UI and the HTTP API on one FastAPI app.

`python app.py` indexes settings.data_dir on first start (progress printed), then serves at settings.host:port.
This module only wires the pipeline (built by rag.runtime, the one composition root) to the web layer
(web.live, web.service, web.api, web.ui).
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from fastapi import FastAPI

from ingest.index import IndexBusy, index_exists
from rag.runtime import Runtime, build_runtime
from settings import Settings
from web.api import install_api
from web.http import install_edge
from web.live import Busy, LiveIndex, Rebuild, Refresh
from web.openai_api import openai_router
from web.render import build_summary
from web.server import limit_malloc_arenas
from web.service import Services
from web.ui import CSS, HEAD, I18N, build_ui, theme


def runtime_hooks(runtime: Runtime) -> tuple[Rebuild, Refresh]:
    """The web layer's rebuild and refresh callbacks over the composition root's runtime."""

    def rebuild() -> tuple[Any, Any, str]:
        try:
            report = runtime.rebuild()
        except IndexBusy as exc:  # the lock is taken before anything is read or written
            raise Busy("另一个导入（命令行或其他服务进程）正在更新索引，请稍后再试") from exc
        return runtime.assistant, runtime.index, build_summary(report)

    def refresh(index: Any) -> tuple[Any, Any] | None:
        return (runtime.assistant, runtime.index) if runtime.refresh() else None

    return rebuild, refresh


def create_app(
    settings: Settings, assistant: Any = None, *, index: Any = None, rebuild: Rebuild | None = None
) -> FastAPI:
    """The whole server. Tests inject a fake `assistant` with its `index` and `rebuild`; by default the real
    pipeline is built (and the index too if missing), and follows ingests made by other processes."""
    refresh = None
    if assistant is None:
        if not index_exists(settings):
            print(f"首次启动：正在为 {settings.data_dir} 建立索引…", flush=True)
        runtime = build_runtime(settings)
        runtime.assistant.warm_up()
        assistant, index = runtime.assistant, runtime.index
        rebuild, refresh = runtime_hooks(runtime)
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
        i18n=I18N,
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
