"""The GitHub Action: inputs never reach a script unquoted, and the gate step's own script, run by bash
against the real CLI, records the outputs and summary a workflow reads and never evaluates input."""

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ACTION = yaml.safe_load((Path(__file__).parents[1] / "action.yml").read_text())
STEPS = {step.get("id") or step["name"]: step for step in ACTION["runs"]["steps"]}


def test_no_expression_is_expanded_inside_a_script():
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]


def test_declared_outputs_and_inputs():
    assert set(ACTION["outputs"]) == {"passed", "exit-code", "results-path", "report-path"}
    for name in (
        "base-model",
        "candidates",
        "baseline",
        "adapter",
        "baseline-adapter",
        "policy",
        "suites",
        "languages",
        "backend",
        "extra-args",
        "output-dir",
        "python-version",
        "package",
        "baseline-responses",
        "candidate-responses",
        "judge",
        "review",
    ):
        assert name in ACTION["inputs"], name


def test_every_shell_variable_is_quoted():
    for step in ACTION["runs"]["steps"]:
        script = step.get("run", "")
        # $VAR outside double quotes: strip quoted strings, then look for what is left.
        unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', '""', script)
        assert not re.search(r"\$[A-Za-z_{]", unquoted.replace("$?", "")), (step["name"], unquoted)


def run_gate_step(tmp_path: Path, **inputs: str) -> tuple[int, dict[str, str], str]:
    env = {
        **os.environ,
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        **{f"SG_{k.upper()}": v for k, v in inputs.items()},
    }
    for key in (
        "SG_BASE",
        "SG_CANDIDATES",
        "SG_BASELINE",
        "SG_ADAPTER",
        "SG_BASELINE_ADAPTER",
        "SG_SUITES",
        "SG_LANGUAGES",
        "SG_EXTRA",
        "SG_BASELINE_RESPONSES",
        "SG_CANDIDATE_RESPONSES",
        "SG_REVIEW",
    ):
        env.setdefault(key, "")
    env.setdefault("SG_JUDGE", "lexicon")
    env.setdefault("SG_POLICY", "default")
    env.setdefault("SG_BACKEND", "transformers")
    env.setdefault("SG_OUT", str(tmp_path / "out"))
    done = subprocess.run(
        ["bash", "-c", STEPS["gate"]["run"]], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    outputs = dict(line.split("=", 1) for line in (tmp_path / "output").read_text().splitlines())
    return done.returncode, outputs, (tmp_path / "summary").read_text()


@pytest.mark.slow
def test_gate_step_records_outputs_and_summary(tiny_model, tiny_adapter, tmp_path):
    code, outputs, summary = run_gate_step(
        tmp_path,
        base=str(tiny_model),
        adapter=str(tiny_adapter),
        suites="starter",
        languages="en,sw",
        extra="--max-tokens 4 --sample 12 --allow-underpowered",
    )
    assert code == 0  # the step itself succeeds; the last step fails the job from exit-code
    assert outputs["exit-code"] in ("0", "1")
    assert outputs["passed"] == ("true" if outputs["exit-code"] == "0" else "false")
    assert Path(outputs["results-path"]).is_file() and Path(outputs["report-path"]).is_file()
    assert summary.startswith("## safetygate:")


def test_input_is_never_evaluated(tmp_path):
    marker = tmp_path / "pwned"
    code, outputs, summary = run_gate_step(
        tmp_path, base=f"$(touch {marker})", adapter="`touch {marker}`", extra=f"--languages $(touch {marker}) *"
    )
    assert not marker.exists()
    assert outputs["exit-code"] == "2" and outputs["passed"] == "false"
    assert "before writing a summary" in summary


def test_a_list_of_candidates_becomes_one_check_with_each_as_a_candidate(tmp_path, monkeypatch):
    # A stand-in `safetygate` on PATH records the arguments the step passes: the parsing is what is tested here.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "safetygate"
    shim.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$SG_OUT.args"\nexit 1\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    code, outputs, _ = run_gate_step(
        tmp_path,
        candidates="ckpt/lr 1e-4\n  ckpt/lr-3e-4 ,ckpt/full\n\n",
        baseline="releases/v1",
        out=str(tmp_path / "out"),
    )
    args = (tmp_path / "out.args").read_text().splitlines()
    pairs = [(a, b) for a, b in zip(args, args[1:]) if a in ("--candidate", "--baseline")]
    assert pairs == [
        ("--candidate", "ckpt/lr 1e-4"),
        ("--candidate", "ckpt/lr-3e-4"),
        ("--candidate", "ckpt/full"),
        ("--baseline", "releases/v1"),
    ]
    assert outputs["exit-code"] == "1"


GOLDEN = Path(__file__).parent / "golden"
ANSWER_FILES = {
    "baseline_responses": str(GOLDEN / "baseline.jsonl"),
    "candidate_responses": str(GOLDEN / "candidate.jsonl"),
}


def test_compare_mode_gates_two_answer_files_with_the_real_cli(tmp_path):
    code, outputs, summary = run_gate_step(
        tmp_path,
        **ANSWER_FILES,
        policy="strict",
    )
    assert code == 0 and outputs["exit-code"] == "1" and outputs["passed"] == "false"
    assert Path(outputs["results-path"]).is_file() and summary.startswith("## safetygate:")


def test_compare_mode_takes_the_labels_given_and_refuses_lines_without_one(tmp_path):
    # The golden files carry no `label`: --judge given must refuse them (exit 2), naming the file.
    code, outputs, summary = run_gate_step(
        tmp_path,
        **ANSWER_FILES,
        judge="given",
    )
    assert outputs["exit-code"] == "2" and "before writing a summary" in summary


def test_compare_mode_refuses_inputs_of_the_other_mode(tmp_path):
    code, outputs, summary = run_gate_step(
        tmp_path,
        **ANSWER_FILES,
        base="models/base",
    )
    assert code == 0 and outputs["exit-code"] == "2" and not (tmp_path / "out").exists()
