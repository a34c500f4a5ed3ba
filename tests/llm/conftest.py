"""Fixtures for desim.llm tests."""

from __future__ import annotations

import pytest
from gemini_fakes import FakeGemini


@pytest.fixture
def fake_options():
    """Fast-retry GeminiParser options around a FakeGemini."""

    def make(fake: FakeGemini, attempts: int = 3) -> dict:
        return dict(api_key="test-key", retry_attempts=attempts, retry_initial_delay_s=0.001,
                    retry_max_delay_s=0.002, retry_jitter_s=0.0, http_options=fake.http_options())

    return make


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DESIM_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "DESIM_GEMINI_MODEL", "DESIM_GEMINI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
