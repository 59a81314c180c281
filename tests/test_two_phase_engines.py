"""Two-phase generation on real engines (the tiny model): a check writes every answer short, continues the open
ones from the text it wrote, and records it; the answers it continued are the ones one phase writes."""

import json

import pytest
from conftest import invoke, needs_vllm

pytestmark = pytest.mark.slow


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("backend", ["transformers", pytest.param("vllm", marks=needs_vllm)])
def test_a_check_in_two_phases_continues_the_open_answers(backend, tiny_model, tiny_adapter, small_suite, tmp_path):
    extra = ("--max-model-len", "512", "--dtype", "float32") if backend == "vllm" else ()
    common = ("check", "--backend", backend, "--base", tiny_model, "--candidate", tiny_adapter)
    common = (*common, "--suite", small_suite, "--max-tokens", "16", "--allow-underpowered", *extra)
    one = invoke(*common, "--decision-tokens", "0", "--out", tmp_path / "one", "--cache-dir", tmp_path / "cache-one")
    two = invoke(*common, "--decision-tokens", "4", "--out", tmp_path / "two", "--cache-dir", tmp_path / "cache-two")
    assert one.exit_code in (0, 1) and two.exit_code in (0, 1), one.stderr + two.stderr

    assert "two phases: every answer to 4 tokens" in two.stderr and "two phases" not in one.stderr
    generation = json.loads((tmp_path / "two" / "results.json").read_text())["run"]["generation"]
    assert generation["decision_tokens"] == 4 and generation["prompts_continued"] >= 1
    assert json.loads((tmp_path / "one" / "results.json").read_text())["run"]["generation"]["one_phase_reason"] is None
    # Two phases asked for where they cannot help: one phase, and the output and the record say why.
    cannot = invoke(
        *common, "--decision-tokens", "16", "--out", tmp_path / "same", "--cache-dir", tmp_path / "cache-one"
    )
    reason = "--decision-tokens 16 is not below --max-tokens 16"
    assert f"one phase: {reason}" in cannot.stderr, cannot.stderr
    assert (
        json.loads((tmp_path / "same" / "results.json").read_text())["run"]["generation"]["one_phase_reason"] == reason
    )
    # The tiny model rarely ends an answer early, so a continued answer grows; the ones not continued are a
    # 4-token start of the one-phase answer, and the continued ones are (text re-read as tokens aside) that answer.
    grown = same = 0
    for side in ("baseline", "candidate"):
        for short, whole in zip(lines(tmp_path / "two" / f"{side}.jsonl"), lines(tmp_path / "one" / f"{side}.jsonl")):
            assert whole["response"].startswith(short["response"][:8])
            grown += len(short["response"]) > len(whole["response"]) // 2
            same += short["response"] == whole["response"]
    assert sum(generation["continued"].values()) >= 1 and grown >= sum(generation["continued"].values())
    assert same >= sum(generation["continued"].values()) // 2
