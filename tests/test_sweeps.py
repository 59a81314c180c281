"""Any checkpoint, many at once, on tiny real models: full-model candidates and sweeps gated end to end."""

import json

import pytest
from conftest import invoke, needs_vllm

pytestmark = pytest.mark.slow
TINY = ("--max-tokens", "6", "--allow-underpowered")
TINY_VLLM = (*TINY, "--max-model-len", "512", "--dtype", "float32")


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def check(backend, base, candidates, suite, out, extra=()):
    args = [a for c in candidates for a in ("--candidate", str(c))]
    return invoke("check", "--backend", backend, "--base", base, *args, "--suite", suite, *extra, "--out", out)


@pytest.mark.parametrize("backend", ["transformers", pytest.param("vllm", marks=needs_vllm)])
def test_a_full_model_candidate_gates_end_to_end(backend, tiny_model, tiny_full_candidate, small_suite, tmp_path):
    out = tmp_path / "out"
    result = check(
        backend, tiny_model, [tiny_full_candidate], small_suite, out, TINY_VLLM if backend == "vllm" else TINY
    )
    assert result.exit_code in (0, 1), result.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["candidates"] == {} and set(results["languages"]) == {"en", "sw"}  # one candidate: as before
    run = results["run"]
    assert run["candidate_adapter"]["kind"] == "model" and run["candidate_adapter"]["path"] == str(tiny_full_candidate)
    assert run["adapter_checks"]["candidate"]["has_effect"] is True
    assert [load["model"] for load in run["engine_loads"]] == [str(tiny_model), str(tiny_full_candidate)]
    baseline, candidate = lines(out / "baseline.jsonl"), lines(out / "candidate.jsonl")
    assert sum(b["response"] != c["response"] for b, c in zip(baseline, candidate)) >= 4  # its own weights answered


def test_a_mixed_sweep_runs_on_transformers(tiny_model, three_adapters, tiny_full_candidate, small_suite, tmp_path):
    out = tmp_path / "out"
    candidates = [three_adapters[1], three_adapters[2], tiny_full_candidate]
    result = check("transformers", tiny_model, candidates, small_suite, out, TINY)
    assert result.exit_code in (0, 1), result.stderr
    results = json.loads((out / "results.json").read_text())
    names = ["lr-2", "lr-3", "tuned"]
    assert list(results["candidates"]) == names and results["languages"] == {}
    assert results["passed"] == all(c["passed"] for c in results["candidates"].values())
    assert {n: results["run"]["candidates"][n]["kind"] for n in names} == {
        "lr-2": "adapter",
        "lr-3": "adapter",
        "tuned": "model",
    }
    assert results["run"]["cache"]["generated"] == {"baseline": 8, "lr-2": 8, "lr-3": 8, "tuned": 8}
    assert len(results["run"]["engine_loads"]) == 2  # the base with both adapters, then the full model
    for name in names:
        assert len(lines(out / "candidates" / f"{name}.jsonl")) == 8
    assert "lr-3" in (out / "report.html").read_text() and "### tuned" in (out / "summary.md").read_text()

    # The same sweep again: every answer and probe from the cache, no engine started.
    again = check("transformers", tiny_model, candidates, small_suite, tmp_path / "again", TINY)
    rerun = json.loads((tmp_path / "again" / "results.json").read_text())
    assert again.exit_code == result.exit_code and rerun["run"]["engine_loads"] == []
    assert rerun["candidates"] == results["candidates"]


@needs_vllm
def test_three_lora_candidates_share_one_vllm_engine(tiny_model, three_adapters, small_suite, tmp_path):
    from safetygate.backends.vllm_engine import VLLMBackend

    before = VLLMBackend.engines_built
    out = tmp_path / "out"
    result = check("vllm", tiny_model, three_adapters, small_suite, out, TINY_VLLM)
    assert result.exit_code in (0, 1), result.stderr
    assert VLLMBackend.engines_built - before == 1
    results = json.loads((out / "results.json").read_text())
    assert len(results["candidates"]) == 3
    assert results["run"]["cache"]["generated"]["baseline"] == 8  # the baseline's answers generated once
    answers = {
        name: [a["response"] for a in lines(out / "candidates" / f"{name}.jsonl")] for name in results["candidates"]
    }
    assert len({tuple(a) for a in answers.values()}) == 3  # each LoRA request reached the model with its own adapter
