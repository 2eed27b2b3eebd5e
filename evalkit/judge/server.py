"""A local OpenAI-compatible chat-completions server that plays the QA judge and a served model.

For the judge benchmark and the tests: it answers the Video-ChatGPT judge prompt
deterministically (yes/5 when the predicted answer contains the correct one, else no/0) after a
fixed latency, and the TempCompass and MMIU matcher prompts too (Correct/Incorrect; the option
letter whose text the answer contains, else Z), and misbehaves on request when the prediction carries a marker:
``[slow]`` (0.5 s more), ``[429]`` (first request: 429 with Retry-After: 1), ``[500]`` (first two
requests: 500), ``[malformed]`` (always prose), ``[malformed-once]`` (prose, then a good reply),
``[float]`` (score 4.8), ``[blank]`` (an empty reply), and answers 200 with a broken body for
``[html]`` (an HTML page), ``[nochoices]`` (JSON without ``choices``) and ``[emptychoices]``;
``[drop]`` closes the connection without an answer the first time.
It counts requests. Bind it to loopback only.
"""
from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

FIELD = re.compile(r"Correct Answer: (.*)\nPredicted Answer: (.*)\n\n", re.DOTALL)
TEMPCOMPASS = re.compile(r"Ground-Truth Answer: (.*)\nModel Prediction: (.*)$", re.DOTALL)
MMIU = re.compile(r"Example 3: \nQuestion: .*?\nOptions: (.*)\nAnswer: (.*)\nYour output: $", re.DOTALL)


class MockJudgeServer:
    def __init__(self, latency_s: float = 0.0, host: str = "127.0.0.1"):
        self.latency_s = latency_s
        self.requests = 0
        self.per_prediction: Counter = Counter()
        self.authorizations: set = set()
        self.bodies: list = []  # every request body received, in order
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                server.handle(self, body)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:  # a client that gave up: not news
                if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                    super().handle_error(request, client_address)

        self.httpd = Server((host, 0), Handler)
        self._thread: Optional[threading.Thread] = None

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> "MockJudgeServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        with self._lock:
            self.bodies.append(body)
        user = next((m for m in reversed(body["messages"]) if m["role"] == "user"), body["messages"][-1])
        if isinstance(user["content"], list):  # a model's multimodal request, not a judge prompt
            return self.answer_model(h, body, user["content"])
        content = body["messages"][-1]["content"]
        m = FIELD.search(content) or TEMPCOMPASS.search(content) or MMIU.search(content)
        answer, pred = (m.group(1), m.group(2)) if m else ("", "")
        n = self.count(h, pred)
        time.sleep(self.latency_s + (0.5 if "[slow]" in pred else 0.0))
        if "[429]" in pred and n == 1:
            return self.send(h, 429, {"error": {"message": "rate limited", "type": "rate_limit"}}, {"Retry-After": "1"})
        if "[500]" in pred and n <= 2:
            return self.send(h, 500, {"error": {"message": "server error", "type": "server_error"}})
        if "[drop]" in pred and n == 1:
            h.close_connection = True
            return None
        if "[html]" in pred:
            return self.send_raw(h, 200, b"<html><body>Bad gateway</body></html>", "text/html")
        if "[nochoices]" in pred:
            return self.send(h, 200, {"id": "x", "object": "chat.completion", "model": body.get("model")})
        if "[emptychoices]" in pred:
            return self.send(h, 200, {"id": "x", "object": "chat.completion", "created": 0,
                                      "model": body.get("model"), "choices": []})
        if "[malformed]" in pred or ("[malformed-once]" in pred and n == 1):
            text = "I think the prediction is a yes."
        elif "[blank]" in pred:
            text = ""
        elif "[float]" in pred:
            text = "{'pred': 'yes', 'score': 4.8}"
        elif TEMPCOMPASS.search(content):
            text = "Correct" if answer.split(". ", 1)[-1].lower() in pred.lower() else "Incorrect"
        elif MMIU.search(content):
            options = re.findall(r"([A-Z]): ([^\n]*)", answer)
            text = next((k for k, v in options if v.lower() in pred.lower()), "Z")
        else:
            good = answer.strip().lower() in pred.lower()
            text = "{'pred': 'yes', 'score': 5}" if good else "{'pred': 'no', 'score': 0}"
        reply = {
            "id": f"chatcmpl-{self.requests}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(content) // 4, "completion_tokens": 12, "total_tokens": len(content) // 4 + 12},
        }
        self.send(h, 200, reply)

    def count(self, h: BaseHTTPRequestHandler, key: str) -> int:
        """Count a request; returns how many times ``key`` (its prediction or text) was asked."""
        with self._lock:
            self.requests += 1
            self.per_prediction[key] += 1
            self.authorizations.add(h.headers.get("authorization", ""))
            return self.per_prediction[key]

    def answer_model(self, h: BaseHTTPRequestHandler, body: dict, content: list) -> None:
        """Play a served video model: answer the option letter B, or what a "[reply:X]" marker in
        the text asks; fail like the judge markers ask."""
        text = "".join(c.get("text", "") for c in content if c.get("type") == "text")
        n = self.count(h, text)
        time.sleep(self.latency_s)
        if "[429]" in text and n == 1:
            return self.send(h, 429, {"error": {"message": "rate limited", "type": "rate_limit"}}, {"Retry-After": "1"})
        marker = re.search(r"\[reply:([^\]]*)\]", text)
        reply = {"id": f"chatcmpl-{self.requests}", "object": "chat.completion", "created": int(time.time()),
                 "model": f"served/{body.get('model')}",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": marker[1] if marker else "B"},
                              "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 100 + 85 * sum(c.get("type") == "image_url" for c in content),
                           "completion_tokens": 1, "total_tokens": 0}}
        self.send(h, 200, reply)

    @staticmethod
    def send(h: BaseHTTPRequestHandler, status: int, payload: dict, headers: Optional[dict] = None) -> None:
        MockJudgeServer.send_raw(h, status, json.dumps(payload).encode(), "application/json", headers)

    @staticmethod
    def send_raw(h: BaseHTTPRequestHandler, status: int, data: bytes, content_type: str,
                 headers: Optional[dict] = None) -> None:
        h.send_response(status)
        h.send_header("content-type", content_type)
        h.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)
