"""The adapter-applied check: an adapter that is not really there must stop the gate (exit 2)."""

import json
import shutil

import pytest
from conftest import invoke, one_error_line
from safetensors.torch import load_file, save_file

from safetygate.generate.adapter_check import NOISE, compare_logprobs

pytestmark = pytest.mark.slow


def rewrite_weights(adapter, tmp_path, name, change):
    """A copy of `adapter` with its tensors passed through `change(key, tensor) -> (key, tensor)`."""
    copy = tmp_path / name
    shutil.copytree(adapter, copy)
    tensors = load_file(copy / "adapter_model.safetensors")
    save_file(dict(change(k, v) for k, v in tensors.items()), copy / "adapter_model.safetensors")
    return copy


def check(base, adapter, out):
    return invoke(
        "check",
        "--allow-underpowered",
        "--backend",
        "transformers",
        "--base",
        base,
        "--adapter",
        adapter,
        "--suite",
        "starter",
        "--languages",
        "en",
        "--max-tokens",
        "4",
        "--out",
        out,
    )


def test_working_adapter_figures_are_recorded(tiny_model, tiny_adapter, tmp_path):
    result = check(tiny_model, tiny_adapter, tmp_path / "out")
    assert result.exit_code in (0, 1), result.stderr
    figures = json.loads((tmp_path / "out" / "results.json").read_text())["run"]["adapter_checks"]["candidate"]
    assert figures["checked"] and figures["lora_modules"] == 4 and figures["max_abs_lora_b"] > 0
    assert figures["has_effect"] and figures["max_logprob_diff"] > NOISE and figures["probe_prompts"] == 4


def test_all_zero_lora_b_is_refused(tiny_model, tiny_adapter, tmp_path):
    zero = rewrite_weights(tiny_adapter, tmp_path, "zero", lambda k, v: (k, v * 0 if "lora_B" in k else v))
    result = check(tiny_model, zero, tmp_path / "out")
    assert result.exit_code == 2
    assert "adapter has no effect: every LoRA B weight is zero" in one_error_line(result)
    assert not (tmp_path / "out").exists()


def test_negligible_adapter_fails_the_probe(tiny_model, tiny_adapter, tmp_path):
    faint = rewrite_weights(tiny_adapter, tmp_path, "faint", lambda k, v: (k, v * 1e-7 if "lora_B" in k else v))
    result = check(tiny_model, faint, tmp_path / "out")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "adapter has no effect on the model" in line and "probe prompts" in line


def test_adapter_targeting_a_missing_module(tiny_model, tiny_adapter, tmp_path):
    odd = rewrite_weights(tiny_adapter, tmp_path, "odd", lambda k, v: (k.replace("q_proj", "qkv_fused"), v))
    result = check(tiny_model, odd, tmp_path / "out")
    assert result.exit_code == 2
    assert "self_attn.qkv_fused is not a weight of" in one_error_line(result)


def test_logprob_comparison():
    same = [{1: -0.1, 2: -2.0}]
    assert compare_logprobs(same, same)["has_effect"] is False
    moved = compare_logprobs(same, [{1: -0.3, 2: -1.5}])
    assert moved["has_effect"] and moved["max_logprob_diff"] == pytest.approx(0.5)
    swapped = compare_logprobs(same, [{1: -0.1, 3: -2.0}])
    assert swapped["has_effect"] and swapped["top_k_sets_differ"] == 1
    assert compare_logprobs(same, [{2: -0.1, 1: -2.0}])["top_token_changed"] == 1
