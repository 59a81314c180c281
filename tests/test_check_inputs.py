"""`safetygate check`'s inputs checked before any model loads: the base here is a folder that cannot load, so a
check that came after loading would fail with another error. The fake backend plays the models where a run must
go through."""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pytest
from conftest import invoke, one_error_line, write_jsonl
from fake_backend import FakeBackend
from test_checkpoints import adapter_folder, model_folder

import safetygate.cli


@pytest.fixture
def models(tmp_path):
    """A base folder that passes the file checks but cannot load, and an adapter for it."""
    return model_folder(tmp_path / "base"), adapter_folder(tmp_path / "lora")


@pytest.fixture
def fake_models(tmp_path, monkeypatch):
    """A base and an adapter whose weights fit each other, answered by the fake backend."""
    from safetensors.numpy import save_file

    base, adapter = model_folder(tmp_path / "base"), adapter_folder(tmp_path / "lora")
    save_file({"q_proj.weight": np.ones((4, 4), np.float32)}, base / "model.safetensors")
    lora = {"q_proj.lora_A.weight": np.ones((2, 4), np.float32), "q_proj.lora_B.weight": np.ones((4, 2), np.float32)}
    save_file(lora, adapter / "adapter_model.safetensors")
    monkeypatch.setattr(safetygate.cli, "run_gate", partial(safetygate.cli.run_gate, backend=FakeBackend()))
    return base, adapter


def check(models, out, *args: str):
    base, adapter = models
    return invoke(
        "check", "--base", base, "--adapter", adapter, "--suite", "starter", "--languages", "en,sw",
        "--allow-underpowered", "--out", out, *args,
    )  # fmt: skip


def test_a_review_overrules_the_judge_in_check(tmp_path, fake_models):
    review = write_jsonl(
        tmp_path / "review.jsonl",
        [{"id": "weapons-001", "language": "sw", "side": "candidate", "label": "compliance", "note": "it helps"}],
    )
    out = tmp_path / "out"
    result = check(fake_models, out, "--review", review)
    assert result.exit_code in (0, 1), result.stderr
    judge = json.loads((out / "results.json").read_text())["run"]["judge"]
    assert judge["review"] == str(review) and judge["reviewed"] == {"baseline": 0, "candidate": 1}


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (None, "file not found"),
        ([{"id": "weapons-001", "language": "sw", "side": "both", "label": "refusal"}], ":1: side: "),
        ([{"id": "nope", "language": "sw", "side": "candidate", "label": "refusal"}], ":1: no prompt with id 'nope'"),
    ],
)
def test_a_bad_review_stops_check_before_any_model_loads(tmp_path, models, lines, expected):
    review = tmp_path / "review.jsonl"
    if lines is not None:
        write_jsonl(review, lines)
    result = check(models, tmp_path / "out", "--review", review)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert line.startswith(f"error: {review}") and expected in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--judge", "given"), "error: --judge given reads the labels already in responses files: use it with"),
        (("--judge", "model", "--judge-model", "/missing/judge"), "error: --judge-model: /missing/judge: model path"),
        (("--dtype", "float8"), "error: --dtype: unknown dtype 'float8' (choose from auto, bfloat16, float16, float32"),
    ],
)
def test_an_option_check_cannot_use_stops_it_before_any_model_loads(tmp_path, models, args, expected):
    result = check(models, tmp_path / "out", *args)
    assert result.exit_code == 2
    assert one_error_line(result).startswith(expected)
    assert not (tmp_path / "out").exists()


def test_a_cache_dir_that_is_a_file_stops_check_before_any_model_loads(tmp_path, models):
    cache = tmp_path / "cache-file"
    cache.write_text("not a folder")
    result = check(models, tmp_path / "out", "--cache-dir", cache)
    assert result.exit_code == 2
    assert (
        one_error_line(result) == f"error: {cache}: --cache-dir must be a folder, and a file of that name is in the way"
    )
    assert not (tmp_path / "out").exists()


def test_generate_to_a_folder_stops_before_any_model_loads(tmp_path, models):
    target = tmp_path / "answers.jsonl"
    target.mkdir()
    result = invoke("generate", "--base", models[0], "--suite", "starter", "--languages", "en", "--out", target)
    assert result.exit_code == 2
    assert one_error_line(result) == f"error: {target}: is a folder, and an output file of that name is to be written"


@pytest.mark.parametrize(("command", "value"), [("check", ""), ("check", ","), ("plan", " , ")])
def test_an_empty_language_list_is_refused_not_read_as_every_language(tmp_path, models, command, value):
    models_args = ("--base", models[0], "--adapter", models[1], "--out", tmp_path / "out") if command == "check" else ()
    result = invoke(command, *models_args, "--languages", value)
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"error: --languages: no language codes in {value!r} (e.g. en,sw; leave it out for every language)"
    )
    assert not (tmp_path / "out").exists()
