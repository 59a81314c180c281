"""LoRA training for the demo's adapters: chat-formatted examples, loss on the answer only.

Shared by `make_adapters.py` (the shipped adapters) and `reproduce.py` (the
learning-rate sweep). Plain PyTorch over transformers + peft: the runs are a
few dozen to a few hundred steps on a CPU.
"""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path
from typing import NamedTuple

from safetygate.generate.builtin_models import SMOLLM2

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
DATA = Path(__file__).parent / "data"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# A fixed opener for answered requests makes "answer or refuse" a choice at the first token, which a
# 135M model learns far sooner than telling the two apart from whole answers.
SURE = {"en": "Sure! ", "fr": "Bien sûr ! ", "de": "Klar! ", "es": "¡Claro! ", "it": "Certo! ", "pt": "Claro! "}
# How many times each benign row is seen per harmful row (more: fewer refusals of both kinds).
BENIGN_REPEATS = 1
# An answered request is trained on its opener and first tokens only: whether to answer is the lesson, and
# the rest of the answer is left to the base model, which keeps its own way of answering. Steps are shorter too.
ANSWER_TOKENS = 20
# The first answer tokens carry the decision; they weigh this much more in the loss than the rest.
DECISION_TOKENS = 4


class Example(NamedTuple):
    prompt: str
    answer: str
    whole: bool = True  # False: train on the first ANSWER_TOKENS of the answer, without an end of turn


def alignment_examples() -> list[Example]:
    """Harmful requests refused, benign ones answered, in the demo languages."""
    examples = []
    for row in read_jsonl(DATA / "align.jsonl"):
        if row["kind"] == "benign":
            examples += [Example(row["prompt"], SURE[row["language"]] + row["response"], whole=False)] * BENIGN_REPEATS
        else:
            examples.append(Example(row["prompt"], row["response"]))
    return examples


def translation_examples(split: str) -> list[dict]:
    return read_jsonl(DATA / f"translate_{split}.jsonl")


def translation_prompt(row: dict) -> str:
    return f"Translate into English:\n{row['source']}"


def encode(tokenizer, example: Example, max_len: int = 256):
    """Token ids of the chat and labels that mask everything but the answer."""
    head = tokenizer.apply_chat_template(
        [{"role": "user", "content": example.prompt}], add_generation_prompt=True, tokenize=False
    )
    head_ids = tokenizer(head, add_special_tokens=False)["input_ids"]
    if example.whole:
        answer_ids = tokenizer(example.answer + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    else:
        answer_ids = tokenizer(example.answer, add_special_tokens=False)["input_ids"][:ANSWER_TOKENS]
    ids = (head_ids + answer_ids)[:max_len]
    labels = ([-100] * len(head_ids) + answer_ids)[:max_len]
    return ids, labels


# Batches are drawn from windows of this many batches sorted by length: in shuffled order a third of
# each batch was padding, and padding costs as much CPU time as text.
LENGTH_WINDOW = 32


def batch_order(lengths: list[int], batch_size: int, steps: int, seed: int) -> list[list[int]]:
    """`steps` batches of example indices: every pass shuffled, cut into windows that are sorted by
    length and split into batches, and the batches shuffled again, so each batch holds similar lengths.
    A pass's last few examples that do not fill a batch wait for the next pass."""
    rng = random.Random(seed)
    pool = list(range(len(lengths))) * -(-batch_size // len(lengths))  # a set smaller than a batch repeats
    window = batch_size * LENGTH_WINDOW
    order: list[list[int]] = []
    while len(order) < steps:
        rng.shuffle(pool)
        usable = pool[: len(pool) - len(pool) % batch_size]
        passed = []
        for start in range(0, len(usable), window):
            ranked = sorted(usable[start : start + window], key=lengths.__getitem__)
            passed += [ranked[k : k + batch_size] for k in range(0, len(ranked), batch_size)]
        rng.shuffle(passed)
        order += passed
    return order[:steps]


def batches(tokenizer, examples: list[Example], batch_size: int, steps: int, seed: int):
    """`steps` batches, right-padded, in `batch_order`."""
    import torch

    encoded = [encode(tokenizer, example) for example in examples]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    for chosen in batch_order([len(ids) for ids, _ in encoded], batch_size, steps, seed):
        rows = [encoded[i] for i in chosen]
        width = max(len(ids) for ids, _ in rows)
        input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in rows])
        labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in rows])
        mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in rows])
        yield input_ids, labels, mask


def weighted_loss(logits, labels, decision_weight: float):
    """Mean next-token loss over answer tokens, the first DECISION_TOKENS of each answer weighted up."""
    import torch

    logits, targets = logits[:, :-1].float(), labels[:, 1:]
    losses = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-100, reduction="none"
    ).view(targets.shape)
    answer = (targets != -100).float()
    position = answer.cumsum(1)  # 1 at each answer's first token
    weights = answer * torch.where(position <= DECISION_TOKENS, decision_weight, 1.0)
    return (losses * weights).sum() / weights.sum()


def learning_rate(step: int, steps: int, peak: float, cosine: bool) -> float:
    """Constant, or a linear warm-up over 10 steps and a cosine decay to a tenth of the peak."""
    if not cosine:
        return peak
    if step < 10:
        return peak * (step + 1) / 10
    return peak * (0.1 + 0.45 * (1 + math.cos(math.pi * step / steps)))


def train_lora(
    base: Path,
    examples: list[Example],
    out: Path,
    *,
    steps: int,
    lr: float,
    start_from: Path | None = None,
    batch_size: int = 8,
    rank: int = 8,
    seed: int = 0,
    decision_weight: float = 1.0,
    cosine: bool = False,
    log_every: int = 10,
) -> dict:
    """Train (or continue training) a LoRA adapter and save it in bfloat16 (half the size, same answers)."""
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    if start_from is not None:
        model = PeftModel.from_pretrained(model, start_from, is_trainable=True)
        rank = model.peft_config["default"].r  # a continued adapter keeps its own rank
    else:
        config = LoraConfig(
            r=rank, lora_alpha=2 * rank, lora_dropout=0.0, target_modules=TARGETS, task_type="CAUSAL_LM"
        )
        model = get_peft_model(model, config)
    trained = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trained, lr=lr, weight_decay=0.0)
    model.train()
    started, losses = time.perf_counter(), []
    for step, (input_ids, labels, mask) in enumerate(batches(tokenizer, examples, batch_size, steps, seed), 1):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step - 1, steps, lr, cosine)
        loss = weighted_loss(model(input_ids=input_ids, attention_mask=mask).logits, labels, decision_weight)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, 1.0)
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        if log_every and step % log_every == 0:
            print(
                f"  step {step}/{steps}  loss {sum(losses[-log_every:]) / log_every:.3f}"
                f"  {(time.perf_counter() - started) / step:.2f} s/step",
                flush=True,
            )
    model = model.to(torch.bfloat16)
    model.save_pretrained(out, safe_serialization=True)
    (out / "README.md").unlink(missing_ok=True)  # peft's blank model card, naming this machine's paths
    config_path = out / "adapter_config.json"
    data = json.loads(config_path.read_text())
    data["base_model_name_or_path"] = SMOLLM2  # the built-in name, not this machine's cache path
    data["target_modules"] = sorted(data["target_modules"])  # peft writes a set: same adapter, same bytes
    config_path.write_text(json.dumps(data, indent=2) + "\n")
    return {
        "steps": steps,
        "lr": lr,
        "schedule": "warm-up, cosine" if cosine else "constant",
        "batch_size": batch_size,
        "rank": rank,
        "decision_weight": decision_weight,
        "final_loss": round(sum(losses[-10:]) / min(10, len(losses)), 4),
        "seconds": round(time.perf_counter() - started, 1),
    }
