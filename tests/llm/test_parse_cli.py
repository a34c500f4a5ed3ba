"""`desim parse` end to end, against a local stand-in for the Gemini REST API."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from gemini_fakes import gemini_body

from desim.cli import main

ANSWER = {"bess_capacity_kwh": 27.0, "bess_max_power_kw": 10.0, "has_solar": True,
          "solar_capacity_kw": 8.0, "has_ev": False, "ev_count": 0}


class _Server:
    """A threading HTTP server answering POST .../models/<model>:generateContent."""

    def __init__(self, mode):
        self.mode, self.paths = mode, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                length = int(self.headers.get("content-length", 0))
                self.rfile.read(length)
                outer.paths.append(self.path)
                if outer.mode == "ok":
                    status, body = 200, json.dumps(gemini_body(ANSWER)).encode()
                elif outer.mode == "garbage":
                    status, body = 200, json.dumps(gemini_body("<html>oops</html>")).encode()
                else:
                    status, body = 500, b'{"error": {"code": 500, "message": "boom", "status": "INTERNAL"}}'
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def gemini_env(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    monkeypatch.setenv("DESIM_GEMINI_MODEL", "gemini-local")

    def start(mode):
        server = _Server(mode)
        monkeypatch.setenv("DESIM_GEMINI_BASE_URL", server.url)
        return server

    return start


def test_parse_rules_prints_config_provenance_and_warnings(capsys):
    main(["parse", "Two Powerwall 2 and 8 kW of solar, no EV"])
    out = json.loads(capsys.readouterr().out)
    assert out["config"]["bess_capacity_kwh"] == 27.0
    assert out["provenance"]["bess_capacity_kwh"] == "catalog"
    assert out["provenance"]["backup_power_hours"] == "not stated"
    assert out["warnings"] == []


def test_parse_file_gives_one_config_per_line(tmp_path, capsys):
    path = tmp_path / "descriptions.txt"
    path.write_text("A 10 kWh battery\n\nNo solar, two gas cars\n")
    main(["parse", "--file", str(path)])
    out = json.loads(capsys.readouterr().out)
    assert [o["config"]["bess_capacity_kwh"] for o in out] == [10.0, None]
    assert out[1]["config"]["has_ev"] is False


def test_parse_gemini_against_a_local_server_returns_validated_configs(gemini_env, capsys):
    with gemini_env("ok") as server:
        main(["parse", "--parser", "gemini", "--no-cache", "two Powerwall 2, 8 kW solar"])
    out = json.loads(capsys.readouterr().out)
    assert out["config"]["bess_capacity_kwh"] == 27.0 and out["config"]["ev_count"] == 0
    assert server.paths and "gemini-local:generateContent" in server.paths[0]


def test_parse_gemini_exits_2_when_the_server_answers_garbage(gemini_env, capsys):
    with gemini_env("garbage"), pytest.raises(SystemExit) as exit_info:
        main(["parse", "--parser", "gemini", "--no-cache", "anything"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "expected a JSON object" in err and "<html>oops</html>" in err
    assert len(err.strip().splitlines()) == 1


def test_parse_gemini_exits_2_after_retries_when_the_server_fails(gemini_env, monkeypatch, capsys):
    import desim.llm.parser as parser_module

    original = parser_module.GeminiParser

    def fast(**options):
        return original(retry_attempts=2, retry_initial_delay_s=0.001, retry_jitter_s=0.0,
                        **options)

    monkeypatch.setattr(parser_module, "GeminiParser", fast)
    with gemini_env("error") as server, pytest.raises(SystemExit) as exit_info:
        main(["parse", "--parser", "gemini", "--no-cache", "anything"])
    assert exit_info.value.code == 2
    assert "HTTP 500" in capsys.readouterr().err
    assert len(server.paths) == 2


def test_parse_gemini_without_a_key_exits_2_naming_both_variables(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["parse", "--parser", "gemini", "--no-cache", "anything"])
    assert exit_info.value.code == 2
    assert "GEMINI_API_KEY or GOOGLE_API_KEY" in capsys.readouterr().err


def test_parse_needs_exactly_one_of_text_and_file(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["parse"])
    assert exit_info.value.code == 2


def test_parse_shows_corrected_and_refused_values(capsys):
    main(["parse", "Battery 10 kWh, sorry, 12 kWh. Solar -40 kW."])
    out = json.loads(capsys.readouterr().out)
    assert out["config"]["bess_capacity_kwh"] == 12.0
    assert out["provenance"]["bess_capacity_kwh"] == "corrected"
    assert out["config"]["solar_capacity_kw"] is None
    assert any("solar_capacity_kw" in w and "-40 kw" in w for w in out["warnings"])


def _labelled(tmp_path):
    path = tmp_path / "set.jsonl"
    rows = [{"text": "Two Powerwall 2 and 8 kW of solar, no EV", "style": "prose",
             "expected": {"bess_capacity_kwh": 27.0, "bess_max_power_kw": 10.0, "has_solar": True,
                          "solar_capacity_kw": 8.0, "has_ev": False, "ev_count": 0}}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_evaluate_reports_overall_and_per_field_accuracy(tmp_path, capsys):
    main(["evaluate", str(_labelled(tmp_path))])
    out = capsys.readouterr().out
    assert "all fields       18/18 = 100.0 %" in out
    assert "bess_capacity_kwh" in out and "ev_priority" in out


def test_evaluate_runs_the_same_set_through_gemini(gemini_env, tmp_path, capsys):
    with gemini_env("ok") as server:
        main(["evaluate", "--parser", "gemini", "--no-cache", str(_labelled(tmp_path))])
    assert "18/18 = 100.0 %" in capsys.readouterr().out
    assert len(server.paths) == 1
