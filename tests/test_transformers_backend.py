"""The real transformers + peft path on a tiny random-weight Llama and a real LoRA adapter."""

import json
import shutil

import pytest
from conftest import invoke, one_error_line, write_jsonl

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def six_item_suite(tmp_path_factory):
    """Six prompts per language from the starter suite, in en and sw: enough to run every stage."""
    from safetygate.lines import prompt_line
    from safetygate.suites import load_suite

    keep = {"weapons-001", "cyber-001", "fraud-002", "self_harm-001", "benign-001", "benign-004"}
    rows = [prompt_line(p) for p in load_suite("starter").prompts if p.id in keep and p.language in ("en", "sw")]
    return write_jsonl(tmp_path_factory.mktemp("suite") / "small.jsonl", rows)


def check(*args):
    return invoke(
        "check", "--allow-underpowered", "--backend", "transformers", "--max-tokens", "12", "--batch-size", "4", *args
    )


def test_check_runs_every_stage_and_writes_the_contract(tiny_model, tiny_adapter, six_item_suite, tmp_path):
    out = tmp_path / "out"
    result = check("--base", tiny_model, "--adapter", tiny_adapter, "--suite", six_item_suite, "--out", out)
    assert result.exit_code in (0, 1), result.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["exit_code"] == result.exit_code
    assert set(results["languages"]) == {"en", "sw"}
    assert results["languages"]["en"]["n"] == 4 and results["languages"]["en"]["over_refusal"]["n"] == 2
    run = results["run"]
    assert run["backend"] == "transformers" and run["prompts"] == 12
    assert len(run["candidate_adapter"]["sha256"]) == 64 and run["baseline_adapter"] is None
    baseline = [json.loads(line) for line in (out / "baseline.jsonl").read_text().splitlines()]
    candidate = [json.loads(line) for line in (out / "candidate.jsonl").read_text().splitlines()]
    assert len(baseline) == len(candidate) == 12
    assert {r["model"] for r in baseline} == {"baseline"} and {r["model"] for r in candidate} == {"candidate"}
    assert all(r["label"] in ("refusal", "compliance", "unclear") for r in baseline + candidate)
    # The adapter must actually change what the model says.
    changed = sum(b["response"] != c["response"] for b, c in zip(baseline, candidate))
    assert changed >= 10, changed


def test_generation_is_deterministic_and_matches_check(tiny_model, tiny_adapter, six_item_suite, tmp_path):
    outputs = []
    for name in ("a.jsonl", "b.jsonl"):
        result = invoke(
            "generate",
            "--backend",
            "transformers",
            "--base",
            tiny_model,
            "--adapter",
            tiny_adapter,
            "--suite",
            six_item_suite,
            "--languages",
            "sw",
            "--label",
            "cand",
            "--max-tokens",
            "12",
            "--out",
            tmp_path / name,
        )
        assert result.exit_code == 0, result.stderr
        outputs.append([json.loads(line) for line in (tmp_path / name).read_text().splitlines()])
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 6 and {r["model"] for r in outputs[0]} == {"cand"}
    assert {r["language"] for r in outputs[0]} == {"sw"}


def test_baseline_adapter_plays_the_baseline(tiny_model, tiny_adapter, six_item_suite, tmp_path):
    # The same adapter on both sides: every answer pair must be identical and the gate must pass.
    out = tmp_path / "out"
    zero = tmp_path / "zero.yaml"
    zero.write_text("rules:\n  max_refusal_drop: 0.0\n  max_over_refusal_increase: 0.0\n")
    result = check(
        "--base",
        tiny_model,
        "--adapter",
        tiny_adapter,
        "--baseline-adapter",
        tiny_adapter,
        "--suite",
        six_item_suite,
        "--languages",
        "en",
        "--policy",
        zero,
        "--out",
        out,
    )
    assert result.exit_code == 0, result.stderr
    base = [json.loads(line)["response"] for line in (out / "baseline.jsonl").read_text().splitlines()]
    cand = [json.loads(line)["response"] for line in (out / "candidate.jsonl").read_text().splitlines()]
    assert base == cand


# --- bad input (exit 2) and runtime failure (exit 3) ---------------------------------------------


def test_missing_model_path(tmp_path, tiny_adapter):
    result = check("--base", tmp_path / "nope", "--adapter", tiny_adapter, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "model path does not exist" in one_error_line(result)


def test_model_path_is_a_file(tmp_path, tiny_adapter):
    file = tmp_path / "model.bin"
    file.write_text("x")
    result = check("--base", file, "--adapter", tiny_adapter, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "model path is not a directory" in one_error_line(result)


def test_adapter_for_another_base(tiny_model, other_base_adapter, six_item_suite, tmp_path):
    result = check(
        "--base", tiny_model, "--adapter", other_base_adapter, "--suite", six_item_suite, "--out", tmp_path / "o"
    )
    assert result.exit_code == 2, result.stderr
    line = one_error_line(result)
    assert str(other_base_adapter) in line and "does not fit the base model" in line
    assert not (tmp_path / "o").exists()


def test_missing_adapter(tiny_model, tmp_path):
    result = check("--base", tiny_model, "--adapter", tmp_path / "none", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "adapter path does not exist" in one_error_line(result)


def test_unknown_language_and_suite(tiny_model, tiny_adapter, tmp_path):
    result = check("--base", tiny_model, "--adapter", tiny_adapter, "--languages", "en,xx", "--out", tmp_path / "o")
    assert result.exit_code == 2 and "unknown language code 'xx'" in one_error_line(result)
    result = check("--base", tiny_model, "--adapter", tiny_adapter, "--suite", "nosuch", "--out", tmp_path / "o")
    assert result.exit_code == 2 and "unknown suite 'nosuch'" in one_error_line(result)


def test_corrupt_weights_are_a_runtime_failure(tiny_model, tiny_adapter, six_item_suite, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model, broken)
    (broken / "model.safetensors").write_bytes(b"\x00" * 64)
    result = check("--base", broken, "--adapter", tiny_adapter, "--suite", six_item_suite, "--out", tmp_path / "o")
    assert result.exit_code == 3, result.stderr
    assert "model failed to load" in one_error_line(result)


def test_model_without_chat_template(tiny_model, tiny_adapter, six_item_suite, tmp_path):
    plain = tmp_path / "plain"
    shutil.copytree(tiny_model, plain)
    config = json.loads((plain / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (plain / "tokenizer_config.json").write_text(json.dumps(config))
    (plain / "chat_template.jinja").unlink(missing_ok=True)
    result = check("--base", plain, "--adapter", tiny_adapter, "--suite", six_item_suite, "--out", tmp_path / "o")
    assert result.exit_code == 2, result.stderr
    assert "no chat template" in one_error_line(result)


def test_an_adapter_merged_for_generation_answers_as_unmerged_and_the_base_is_left_as_it_was(tiny_model, tiny_adapter):
    from safetygate.backends import GenerationRequest, GenerationSettings
    from safetygate.backends.hf import TransformersBackend
    from safetygate.backends.model_files import read_adapter
    from safetygate.suites import load_suite

    prompts = [p for p in load_suite("starter").prompts if p.language == "en"][:12]
    adapter = read_adapter(tiny_adapter)
    backend = TransformersBackend(tiny_model, [adapter], GenerationSettings(max_tokens=1, batch_size=1))
    plain = [GenerationRequest(p, None) for p in prompts]
    tuned = [GenerationRequest(p, adapter) for p in prompts]
    base_before = backend.next_token_logprobs(plain)
    unmerged = backend.next_token_logprobs(tuned)  # one forward pass each, adapter unmerged
    weights = {name: p.detach().clone() for name, p in backend.model.named_parameters() if "lora_" not in name}
    answers = backend.generate(tuned)  # adapter merged into the weights for the whole group
    after = dict(backend.model.named_parameters())
    assert all((after[name] - w).abs().max() < 1e-6 for name, w in weights.items())

    def first_token(logprobs: dict[int, float]) -> str:
        return backend.tokenizer.decode([max(logprobs, key=logprobs.get)], skip_special_tokens=True).strip()

    assert answers == [first_token(lp) for lp in unmerged]
    assert answers != [first_token(lp) for lp in base_before]  # the adapter does change the first token
    for before, after in zip(base_before, backend.next_token_logprobs(plain)):
        assert before.keys() == after.keys()
        assert all(abs(before[t] - after[t]) < 1e-4 for t in before)


def test_a_long_prompt_among_short_ones_is_decoded_in_a_batch_of_its_own_on_a_cpu(tiny_model, monkeypatch):
    """Every row's cache is padded to its batch's longest prompt: past the rows x longest budget the batch
    splits, longest first, and the answers are the ones one batch gives."""
    from safetygate.backends import GenerationRequest, GenerationSettings
    from safetygate.backends.hf import TransformersBackend
    from safetygate.records import Kind, Prompt

    prompts = [Prompt(f"p{n}", "en", "fraud", Kind.HARMFUL, "why " * n) for n in (60, 2, 3, 4, 5, 6)]
    backend = TransformersBackend(tiny_model, [], GenerationSettings(max_tokens=6, batch_size=8))
    requests = [GenerationRequest(p, None) for p in prompts]
    batches = []
    decode = backend._generate_batch
    monkeypatch.setattr(backend, "_generate_batch", lambda m, ps, rs: batches.append(len(ps)) or decode(m, ps, rs))
    backend.decode_tokens = None
    together = backend.generate(requests)
    longest = max(len(backend.tokenizer(backend._render(r), add_special_tokens=False)["input_ids"]) for r in requests)
    backend.decode_tokens = 2 * longest  # room for the long prompt and one short one beside it, not more
    apart = backend.generate(requests)
    assert batches == [6, 2, 4]
    assert apart == together
