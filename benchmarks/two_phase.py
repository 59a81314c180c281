"""Two-phase generation against one phase: same verdicts, fewer tokens, less time.

1. Where the judge decides (needs `../shared/judge_dev/`, skipped without it): 4,167 real answers
   of six models, cut to N tokens of the demo's tokenizer; how often the lexicon judge's label at N
   differs from its label at the gate's length, and how many of those differences the second phase
   would continue (the judge unsure or unclear at N).
2. `check` on the demo's pair (aligned baseline, finetuned candidate; the demo's six languages x
   `--sample` prompts of the `--suite`s, harmful by default; `--max-tokens`), each on a fresh cache, one phase
   then two phases:
   wall time, answers/s, tokens written, and whether every verdict, rate and label is the same.

    python benchmarks/two_phase.py                         # 20 prompts a language, 64 tokens
    python benchmarks/two_phase.py --sample 10 --max-tokens 128 --decision-tokens 32
    python benchmarks/two_phase.py --suite harmful --suite benign --max-tokens 128 --skip-dev  # the demo's suites
"""

from __future__ import annotations

import argparse
import functools
import json
import tempfile
import time
from pathlib import Path

DEV = Path(__file__).resolve().parents[2] / "shared" / "judge_dev"


def where_the_judge_decides(tokenizer, lengths: list[int], gate_length: int) -> None:
    from safetygate.judge.lexicon import LexiconJudge
    from safetygate.records import Completion, Kind, Label, Prompt

    if not DEV.is_dir():
        print(f"1. skipped: {DEV} is not here (the development sets live beside the project checkout)")
        return
    judge = LexiconJudge()
    answers = []
    for name in ("xstest_dev.jsonl", "dna_dev.jsonl"):
        for line in (DEV / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            prompt = Prompt(row["id"], row["language"], row["category"], Kind(row["kind"]), row["prompt"])
            ids = tokenizer(row["response"].strip(), add_special_tokens=False)["input_ids"]
            answers.append((prompt, ids))

    def verdict(prompt, ids, n):
        return judge.verdict(Completion(prompt, "m", tokenizer.decode(ids[:n], skip_special_tokens=True).strip()))

    full = [verdict(p, ids, gate_length) for p, ids in answers]
    print(f"1. {len(answers)} real answers (judge_dev), label at N tokens vs at {gate_length}:")
    for n in lengths:
        changed = continued = caught = 0
        for (prompt, ids), whole in zip(answers, full):
            if len(ids) <= n:
                continue
            short = verdict(prompt, ids, n)
            open_ = short.label is Label.UNCLEAR or not short.confident
            continued += open_
            if short.label is not whole.label:
                changed += 1
                caught += open_
        print(
            f"   N={n:3d}: same label {1 - changed / len(answers):.1%}; of the {changed} that differ,"
            f" {caught} would be continued; {continued / len(answers):.0%} of answers continued"
        )


def gate_runs(args, work: Path) -> None:
    from safetygate.config import GenerationSettings, RunConfig
    from safetygate.demo import LANGUAGES, adapter
    from safetygate.pipeline import run_gate

    base = demo_base()
    results, ceiling = {}, None
    clock = DecodeClock()
    for name, decision in (("one phase", 0), ("two phases", args.decision_tokens)):
        config = RunConfig(
            base=base,
            baseline=adapter("aligned"),
            candidates=(adapter("finetuned"),),
            suites=tuple(args.suite or ("harmful",)),
            languages=LANGUAGES,
            sample=args.sample,
            policy="quick",
            allow_underpowered=True,
            backend="transformers",
            settings=GenerationSettings(max_tokens=args.max_tokens, decision_tokens=decision, dtype=args.dtype),
            out_dir=work / f"out-{decision}",
            cache_dir=work / f"cache-{decision}",
        )
        clock.reset()
        started = time.perf_counter()
        outcome = run_gate(config)
        seconds = time.perf_counter() - started
        answers = sum(outcome.result.run.cache.generated.values())
        written = sum(
            len(base_tokenizer(base)(json.loads(line)["response"], add_special_tokens=False)["input_ids"])
            for path in config.out_dir.glob("*.jsonl")
            for line in path.read_text(encoding="utf-8").splitlines()
        )
        generating = outcome.result.run.timings_s["generate"]
        g = outcome.result.run.generation
        extra = (
            f"; {g.prompts_continued} prompts continued, answers grown {g.continued},"
            f" labels changed by continuing {g.labels_changed_by_continuing}"
            if g.decision_tokens
            else ""
        )
        print(
            f"2. {name}: {answers} answers in {seconds:.1f}s ({answers / seconds:.2f} answers/s, model load"
            f" included); {written} answer tokens in the answers files{extra}"
        )
        ceiling = ceiling or machine_ceiling(base, adapter("finetuned"), config)
        processed = (clock.tokens + written) / generating
        print(
            f"   generation phase {generating:.1f}s: {written / generating:.0f} answer tokens/s"
            f" ({written / generating / ceiling:.0%} of the ceiling); counting the {clock.tokens} prompt tokens read,"
            f" {processed:.0f} tokens/s ({processed / ceiling:.0%}); in the decoder {clock.decoding:.1f}s:"
            f" {(clock.tokens + written) / clock.decoding:.0f} tokens/s"
            f" ({(clock.tokens + written) / clock.decoding / ceiling:.0%})"
        )
        print(
            f"   reading prompts {clock.reading:.1f}s: {clock.tokens / clock.reading:.0f} tokens/s"
            f" ({clock.tokens / clock.reading / ceiling:.0%}); writing answers {clock.writing:.1f}s:"
            f" {written / clock.writing:.0f} tokens/s ({written / clock.writing / ceiling:.0%});"
            f" outside the decoder (loading, merging, tokenizing) {generating - clock.decoding:.1f}s;"
            f" ceiling {ceiling:.0f} tokens/s"
        )
        results[name] = (outcome, seconds, config.out_dir)
    (one, one_s, one_dir), (two, two_s, two_dir) = results["one phase"], results["two phases"]

    def figures(outcome):
        return {
            code: (language.passed, language.baseline_refusal_rate, language.candidate_refusal_rate)
            for code, language in outcome.result.languages.items()
        }

    same_verdicts = one.result.passed == two.result.passed and {k: v[0] for k, v in figures(one).items()} == {
        k: v[0] for k, v in figures(two).items()
    }
    same_rates = figures(one) == figures(two)
    labels, kinds = {}, {"same text": [0, 0], "kept short": [0, 0], "written otherwise": [0, 0]}
    for side in ("baseline", "candidate"):
        ones = (one_dir / f"{side}.jsonl").read_text().splitlines()
        twos = (two_dir / f"{side}.jsonl").read_text().splitlines()
        labels[side] = 0
        for one_line, two_line in zip(ones, twos, strict=True):
            whole, phased = json.loads(one_line), json.loads(two_line)
            differs = whole["label"] != phased["label"]
            labels[side] += differs
            text, short = whole["response"], phased["response"]
            kind = "same text" if text == short else "kept short" if text.startswith(short) else "written otherwise"
            kinds[kind][0] += 1
            kinds[kind][1] += differs
    print(
        f"   two phases / one: {two_s / one_s:.2f}x the time ({one_s / two_s:.2f}x faster); same verdicts:"
        f" {same_verdicts}; same refusal rates: {same_rates}; labels that differ: {labels}"
    )
    # Where a label differs: an answer left at the decision length, or one written otherwise (mostly a continuation:
    # the prompt and the begun answer read again as one prefix are other arithmetic, and a greedy tie can go
    # otherwise; a batch of other rows in phase 1 can do the same).
    print("   answers (labels that differ): " + "; ".join(f"{k} {n} ({d})" for k, (n, d) in kinds.items()))


class DecodeClock:
    """Time in the transformers backend's decoder, split into reading prompts into the KV cache and writing the
    answers, and the prompt tokens read (the shared prefix once a batch); the rest of the generation phase
    (loading the model, merging adapters, tokenizing) is neither."""

    def __init__(self) -> None:
        from safetygate.backends import greedy, hf, prefill

        read, decode = greedy.read_prompts, hf.greedy_decode

        def timed_read(model, prompts, *args):
            started = time.perf_counter()
            value = read(model, prompts, *args)
            self.reading += time.perf_counter() - started
            shared = prefill.shared_prefix(prompts)
            shared = shared if shared >= prefill.MIN_SHARED else 0
            self.tokens += sum(len(p) for p in prompts) - shared * (len(prompts) - 1)
            return value

        def timed_decode(*args, **kwargs):
            started = time.perf_counter()
            value = decode(*args, **kwargs)
            self.decoding += time.perf_counter() - started
            return value

        greedy.read_prompts, hf.greedy_decode = timed_read, timed_decode
        self.reset()

    @property
    def writing(self) -> float:
        return self.decoding - self.reading

    def reset(self) -> None:
        self.reading, self.decoding, self.tokens = 0.0, 0.0, 0


def demo_base() -> Path:
    """The demo's model folder, prepared on first use."""
    from safetygate.demo import SMOLLM2
    from safetygate.generate import default_cache_dir
    from safetygate.generate.builtin_models import resolve_model

    return resolve_model(SMOLLM2, default_cache_dir())


def prompt_text(tokenizer, prompt: str) -> str:
    return tokenizer.apply_chat_template(
        [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
    )


def machine_ceiling(base: Path, adapter_path: Path, config) -> float:
    """Tokens/s of one full-batch forward pass over 32 of the run's prompts (the adapter merged, as it runs);
    prints how near one decoding step of a side's rows, and of both sides' rows, comes to it."""
    from ceiling import decoding_rate, forward_ceiling

    from safetygate.backends import GenerationRequest
    from safetygate.backends.hf import TransformersBackend
    from safetygate.backends.model_files import read_adapter
    from safetygate.suites import load_prompts

    adapter = read_adapter(adapter_path)
    prompts, _ = load_prompts(config)
    engine = TransformersBackend(base, [adapter], config.settings)
    with engine._running(adapter) as model:
        requests = [GenerationRequest(p, adapter) for p in prompts[:32]]
        ceiling = forward_ceiling(engine, model, requests)
        with_logits = forward_ceiling(engine, model, requests, every_logit=True)
        print(
            f"   the same pass with every position's logits (what a written token also costs): {with_logits:.0f}"
            f" tokens/s ({with_logits / ceiling:.0%} of the ceiling)"
        )
        side = len(prompts)  # a side's answers: the batch the check decodes at once
        for rows in (side // 2, side, 2 * side):
            rate = decoding_rate(model, rows)
            print(f"   one decoding step of {rows} rows: {rate:.0f} tokens/s ({rate / ceiling:.0%} of the ceiling)")
    return ceiling


@functools.cache
def base_tokenizer(base: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=20, help="prompts per language, across the suites")
    parser.add_argument("--suite", action="append", help="a built-in suite (repeatable; default: harmful)")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--decision-tokens", type=int, default=32)
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--skip-dev", action="store_true", help="only the check runs")
    args = parser.parse_args()
    if not args.skip_dev:
        lengths = sorted(n for n in {16, 24, 32, 48, args.decision_tokens} if n < args.max_tokens)
        where_the_judge_decides(base_tokenizer(demo_base()), lengths, args.max_tokens)
    with tempfile.TemporaryDirectory() as tmp:
        gate_runs(args, Path(tmp))


if __name__ == "__main__":
    main()
