"""Generation cache and resume, on the real transformers path with a tiny model."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import invoke

pytestmark = pytest.mark.slow

ARGS = (
    "--allow-underpowered",  # 30 prompts a language: the cache is under test, not the verdict
    "--backend",
    "transformers",
    "--suite",
    "starter",
    "--languages",
    "en,sw",
    "--max-tokens",
    "10",
    "--batch-size",
    "8",
)


def run_check(base, adapter, out, *extra):
    result = invoke("check", "--base", base, "--adapter", adapter, *ARGS, "--out", out, *extra)
    assert result.exit_code in (0, 1), result.stderr
    return json.loads((out / "results.json").read_text())


def answers(out, side):
    return [json.loads(line)["response"] for line in (out / f"{side}.jsonl").read_text().splitlines()]


def test_second_run_generates_nothing(tiny_model, tiny_adapter, tmp_path):
    first = run_check(tiny_model, tiny_adapter, tmp_path / "a")
    assert first["run"]["cache"]["generated"] == {"baseline": 90, "candidate": 90}
    second = run_check(tiny_model, tiny_adapter, tmp_path / "b")
    assert second["run"]["cache"]["generated"] == {"baseline": 0, "candidate": 0}
    assert second["run"]["cache"]["reused"] == {"baseline": 90, "candidate": 90}
    assert answers(tmp_path / "a", "candidate") == answers(tmp_path / "b", "candidate")
    assert second["languages"] == first["languages"]


def test_changed_adapter_invalidates_only_the_candidate(tiny_model, tiny_adapter, tmp_path):
    from tiny_models import build_tiny_adapter

    adapter = tmp_path / "adapter"
    shutil.copytree(tiny_adapter, adapter)
    run_check(tiny_model, adapter, tmp_path / "a")
    shutil.rmtree(adapter)
    build_tiny_adapter(tiny_model, adapter, seed=7)  # same path, new weights
    again = run_check(tiny_model, adapter, tmp_path / "b")
    assert again["run"]["cache"]["generated"] == {"baseline": 0, "candidate": 90}


def test_corrupt_entry_is_regenerated_not_trusted(tiny_model, tiny_adapter, tmp_path, isolated_cache):
    run_check(tiny_model, tiny_adapter, tmp_path / "a")
    entries = sorted((isolated_cache / "generations").rglob("*.json"))
    assert len(entries) == 180
    entries[0].write_text('{"key": "x", "sha256": "0", "response": "I cannot help with that."}')
    entries[1].write_bytes(entries[1].read_bytes()[:20])
    again = run_check(tiny_model, tiny_adapter, tmp_path / "b")
    cache = again["run"]["cache"]
    assert sum(cache["generated"].values()) == 2 and cache["corrupt_entries_ignored"] == 2
    for side in ("baseline", "candidate"):
        assert answers(tmp_path / "a", side) == answers(tmp_path / "b", side)


def test_no_cache_stores_nothing(tiny_model, tiny_adapter, tmp_path, isolated_cache):
    result = run_check(tiny_model, tiny_adapter, tmp_path / "a", "--no-cache")
    assert result["run"]["cache"]["dir"] is None
    assert not (isolated_cache / "generations").exists()


def test_killed_run_resumes_to_the_same_result(tiny_model, tiny_adapter, tmp_path, isolated_cache):
    # The uninterrupted reference, in a cache of its own.
    reference = run_check(tiny_model, tiny_adapter, tmp_path / "ref", "--cache-dir", tmp_path / "ref-cache")
    command = [
        sys.executable,
        "-m",
        "safetygate",
        "check",
        "--base",
        str(tiny_model),
        "--adapter",
        str(tiny_adapter),
        *ARGS,
        "--save-every",
        "8",
        "--out",
        str(tmp_path / "killed"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    entries = isolated_cache / "generations"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(entries.rglob("*.json"))) < 40:
        assert process.poll() is None, "the run finished before it could be killed"
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait()
    saved = len(list(entries.rglob("*.json")))
    assert 40 <= saved < 180
    resumed = run_check(tiny_model, tiny_adapter, tmp_path / "resumed")
    assert sum(resumed["run"]["cache"]["generated"].values()) == 180 - saved
    for side in ("baseline", "candidate"):
        assert answers(tmp_path / "ref", side) == answers(tmp_path / "resumed", side)
    assert resumed["languages"] == reference["languages"] and resumed["violations"] == reference["violations"]
