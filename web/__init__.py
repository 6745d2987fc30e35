"""The web layer: the Gradio UI for owners, hotline staff and maintainers, and the HTTP API beside it.

Everything here wires people and programs to `rag.Assistant` and the clause index; no retrieval or answering
logic lives in this package.
"""
