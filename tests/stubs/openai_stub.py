"""A local OpenAI-wire chat-completions server on 127.0.0.1 for tests: answers, streams (SSE), hangs, fails.

Runs in a daemon thread; every request body is recorded (so a test can check what reached the "LLM").
A hanging response waits at most `hang_seconds`, so a test run never blocks on it.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

Behaviour = Literal["answer", "hang", "error", "garbage"]


class OpenAIStub:
    def __init__(self, behaviour: Behaviour = "answer", reply: str = "", hang_seconds: float = 5.0) -> None:
        self.behaviour = behaviour
        self.reply = reply
        self.hang_seconds = hang_seconds
        self.requests: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> "OpenAIStub":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                stub.requests.append(body)
                if stub.behaviour == "hang":
                    time.sleep(stub.hang_seconds)
                    return self._send(200, b"{}", "application/json")
                if stub.behaviour == "error":
                    return self._send(500, b'{"error": {"message": "internal error"}}', "application/json")
                if stub.behaviour == "garbage":
                    return self._send(200, b"<html>this is not json</html>", "application/json")
                if body.get("stream"):
                    return self._stream(body)
                message = {"role": "assistant", "content": stub.reply}
                payload = _completion(body, {"index": 0, "message": message, "finish_reason": "stop"})
                return self._send(200, json.dumps(payload).encode(), "application/json")

            def _stream(self, body: dict) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = [stub.reply[i : i + 4] for i in range(0, len(stub.reply), 4)]
                for piece in pieces:
                    chunk = _completion(body, {"index": 0, "delta": {"content": piece}, "finish_reason": None},
                                        obj="chat.completion.chunk")
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                last = _completion(body, {"index": 0, "delta": {}, "finish_reason": "stop"}, obj="chat.completion.chunk")
                self.wfile.write(f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

            def _send(self, status: int, data: bytes, content_type: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): fine
                    pass

        return Handler


def _completion(body: dict, choice: dict, obj: str = "chat.completion") -> dict:
    return {
        "id": "chatcmpl-stub",
        "object": obj,
        "created": int(time.time()),
        "model": body.get("model", "stub"),
        "choices": [choice],
    }
