"""Checkpoints to gate: adapters or full model folders, told apart by their files, checked before anything loads,
and served engine by engine. Pure logic on files and the fake backend: milliseconds, no model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke, one_error_line
from fake_backend import ANSWER, REFUSAL, FakeBackend

from safetygate.backends.model_files import Adapter, FullModel, read_checkpoint
from safetygate.errors import ModelInputError
from safetygate.generate import Engines, GenerationCache, RunPlan, Side, generate_sides
from safetygate.generate.by_engine import engine_groups
from safetygate.generate.naming import candidate_names
from safetygate.records import Kind, Prompt

TEMPLATE = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"


def model_folder(path: Path, weights: bytes = b"weights", template: str = TEMPLATE, vocab: int = 3) -> Path:
    """A model folder as the checks read it (no loadable weights: nothing here loads a model)."""
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (path / "model.safetensors").write_bytes(weights)
    tokens = {f"t{i}": i for i in range(vocab)}
    (path / "tokenizer.json").write_text(json.dumps({"model": {"type": "BPE", "vocab": tokens}, "added_tokens": []}))
    config = {"eos_token": "<|im_end|>", "chat_template": template}
    (path / "tokenizer_config.json").write_text(json.dumps(config))
    return path


def adapter_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 4, "target_modules": ["q_proj"]}))
    (path / "adapter_model.safetensors").write_bytes(b"lora")
    return path


def test_a_checkpoint_is_told_apart_by_its_files(tmp_path):
    assert read_checkpoint(adapter_folder(tmp_path / "lora")) == Adapter(tmp_path / "lora", rank=4)
    assert read_checkpoint(model_folder(tmp_path / "full")) == FullModel(tmp_path / "full")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelInputError, match="neither a peft adapter folder .* nor a model folder"):
        read_checkpoint(tmp_path / "empty")


def test_candidates_are_named_from_their_paths_uniquely():
    assert candidate_names([Path("runs/lr-3e-4")]) == ["candidate"]
    assert candidate_names([Path("runs/lr-3e-4"), Path("runs/lr-1e-3")]) == ["lr-3e-4", "lr-1e-3"]
    assert candidate_names([Path("a/final"), Path("b/final")]) == ["a/final", "b/final"]
    assert candidate_names([Path("x/ck"), Path("x/ck"), Path("baseline")]) == ["x/ck", "x/ck-2", "baseline-1"]


def check(base: Path, *candidates: Path, out: Path):
    args = [a for c in candidates for a in ("--candidate", str(c))]
    return invoke("check", "--backend", "transformers", "--base", base, *args, "--out", out)


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"template": "{{ messages[0]['content'] }}"}, "chat template differs from the base model's"),
        ({"vocab": 5}, "tokenizer.json maps text to other tokens (5 tokens, the base has 3)"),
    ],
)
def test_a_full_model_with_another_tokenizer_or_template_is_refused_before_loading(tmp_path, change, names):
    base = model_folder(tmp_path / "base")
    other = model_folder(tmp_path / "tuned", weights=b"tuned", **change)
    result = check(base, other, out=tmp_path / "out")
    assert result.exit_code == 2
    assert names in one_error_line(result) and str(other) in one_error_line(result)
    assert not (tmp_path / "out").exists()


def test_a_full_model_with_the_base_weights_is_refused(tmp_path):
    base = model_folder(tmp_path / "base")
    copy = model_folder(tmp_path / "copy")  # same weight bytes under another name
    result = check(base, copy, out=tmp_path / "out")
    assert result.exit_code == 2
    assert one_error_line(result) == f"error: {copy}: same weights as the base model ({base}): nothing to gate"


def test_the_base_engine_goes_first_and_full_models_follow_one_at_a_time():
    sides = [
        Side("full-a", None, weights=Path("/a")),
        Side("baseline", None),
        Side("lora", Adapter(Path("/l"), 8)),
        Side("full-b", None, weights=Path("/b")),
    ]
    assert [(k, [s.label for s in v]) for k, v in engine_groups(sides).items()] == [
        (None, ["baseline", "lora"]),
        (Path("/a"), ["full-a"]),
        (Path("/b"), ["full-b"]),
    ]


def prompts() -> list[Prompt]:
    return [
        Prompt(f"p-{i}", lang, "cyber", Kind.HARMFUL, f"prompt {i} in {lang}")
        for lang in ("en", "sw")
        for i in range(4)
    ]


def fake_sweep(built: list[FakeBackend], forgets: dict[Path, set[str]]) -> RunPlan:
    def build(weights: Path | None) -> FakeBackend:
        built.append(FakeBackend(complies_in=forgets, weights=weights))
        return built[-1]

    full = [Side(name, None, {"model": name}, weights=Path(f"/ckpt/{name}")) for name in ("epoch-1", "epoch-2")]
    bare = Side("base", None, {"model": "base"})
    baseline = Side("baseline", None, {"model": "base"})
    return RunPlan(baseline, tuple(full), Engines(build), "fake", "test", bare=bare, base=Path("/base"))


def test_a_sweep_of_full_models_loads_each_once_after_the_base_and_releases_it(tmp_path):
    built: list[FakeBackend] = []
    plan = fake_sweep(built, {Path("/ckpt/epoch-2"): {"sw"}})
    generated, checks = generate_sides(prompts(), plan, GenerationCache(tmp_path))
    assert [b.weights for b in built] == [None, Path("/ckpt/epoch-1"), Path("/ckpt/epoch-2")]
    assert [b.closed for b in built] == [True, True, False]  # each released before the next loads
    assert len(built[0].calls) == 1 and len(built[0].calls[0]) == 8  # the baseline, once
    assert {label: checks[label]["has_effect"] for label in checks} == {"epoch-1": True, "epoch-2": True}
    sw = [c.response for c in generated.completions["epoch-2"] if c.prompt.language == "sw"]
    assert set(sw) == {ANSWER} and set(c.response for c in generated.completions["epoch-1"]) == {REFUSAL}

    plan.engines.release()
    again: list[FakeBackend] = []
    cached, rechecked = generate_sides(prompts(), fake_sweep(again, {}), GenerationCache(tmp_path))
    assert again == [] and rechecked == checks  # answers and probe figures both from the cache
    assert cached.completions == generated.completions
