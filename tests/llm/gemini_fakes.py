"""A fake Gemini generateContent endpoint for tests (httpx2.MockTransport)."""

from __future__ import annotations

import json

import httpx2


def gemini_body(payload: dict | str, finish_reason: str = "STOP") -> dict:
    """A generateContent REST answer carrying `payload` as the text part."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                            "finishReason": finish_reason, "index": 0}],
            "modelVersion": "fake"}


class FakeGemini:
    """Answers queued responses in order; repeats the last one."""

    def __init__(self, *responses: httpx2.Response):
        self.responses = list(responses)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        queued = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        # a fresh response each time: one Response object cannot be sent twice
        return httpx2.Response(queued.status_code, content=queued.content,
                               headers={"content-type": "application/json"})

    def http_options(self) -> dict:
        transport = httpx2.MockTransport(self)
        return {"httpx_client": httpx2.Client(transport=transport),
                "httpx_async_client": httpx2.AsyncClient(transport=transport)}
