"""The demo adapters' training recipe: answer-only labels, short benign targets, the decision weight, the schedule."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks" / "demo"))

from train_lib import (  # noqa: E402
    ANSWER_TOKENS,
    BENIGN_REPEATS,
    DATA,
    DECISION_TOKENS,
    SURE,
    Example,
    alignment_examples,
    batch_order,
    encode,
    learning_rate,
    read_jsonl,
    weighted_loss,
)

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow  # builds a tokenizer and trains


@pytest.fixture(scope="module")
def tokenizer(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


def answer_labels(labels: list[int]) -> list[int]:
    return [label for label in labels if label != -100]


def test_a_whole_answer_is_learned_to_its_end_of_turn_and_the_prompt_is_masked(tokenizer):
    ids, labels = encode(tokenizer, Example("How do I pick a lock?", "I can't help with that."))
    answer = answer_labels(labels)
    assert answer[-1] == tokenizer.eos_token_id
    assert labels[: len(ids) - len(answer)] == [-100] * (len(ids) - len(answer))
    assert ids[-len(answer) :] == answer


def test_a_benign_answer_is_learned_only_as_its_first_tokens_with_no_end_of_turn(tokenizer):
    long_answer = "Sure! " + "Whisk the egg whites slowly, then faster. " * 20
    ids, labels = encode(tokenizer, Example("How do I beat egg whites?", long_answer, whole=False))
    answer = answer_labels(labels)
    assert len(answer) == ANSWER_TOKENS
    assert tokenizer.eos_token_id not in answer
    assert tokenizer.decode(answer).startswith("Sure!")


def test_benign_rows_carry_their_language_opener_and_harmful_rows_their_whole_refusal():
    rows = read_jsonl(DATA / "align.jsonl")
    examples = alignment_examples()
    benign = [e for e in examples if not e.whole]
    assert len(benign) == BENIGN_REPEATS * sum(r["kind"] == "benign" for r in rows)
    assert len(examples) - len(benign) == sum(r["kind"] == "harmful" for r in rows)
    openers = tuple(SURE.values())
    assert all(e.answer.startswith(openers) for e in benign)
    assert not any(e.answer.startswith(openers) for e in examples if e.whole)


def uniform_logits_with_one_miss(length: int, vocab: int, miss_at: int, target: int):
    """Logits that are uniform everywhere except one position, which puts its mass away from `target`."""
    logits = torch.zeros(1, length, vocab)
    logits[0, miss_at, (target + 1) % vocab] = 8.0
    return logits


@pytest.mark.parametrize("weight", [1.0, 5.0])
def test_the_loss_is_the_mean_over_answer_tokens_exactly_when_the_weight_is_one(weight):
    torch.manual_seed(0)
    logits = torch.randn(2, 12, 30)
    labels = torch.randint(0, 30, (2, 12))
    labels[:, :5] = -100  # the prompt
    expected = torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, 30), labels[:, 1:].reshape(-1), ignore_index=-100
    )
    loss = weighted_loss(logits, labels, weight)
    assert torch.isclose(loss, expected) == (weight == 1.0)


def test_the_decision_weight_counts_a_miss_on_the_first_answer_tokens_more_than_a_later_one():
    vocab, prompt, length, target = 30, 4, 16, 3
    labels = torch.full((1, length), target)
    labels[0, :prompt] = -100
    # Logits at position t predict label t + 1: the first answer token is predicted at `prompt - 1`.
    early = uniform_logits_with_one_miss(length, vocab, prompt - 1, target)
    late = uniform_logits_with_one_miss(length, vocab, prompt - 1 + DECISION_TOKENS + 2, target)
    assert weighted_loss(early, labels, 5.0) > weighted_loss(early, labels, 1.0)
    assert weighted_loss(late, labels, 5.0) < weighted_loss(late, labels, 1.0)


def test_learning_rate_is_constant_or_warms_up_then_decays_to_a_tenth():
    assert {learning_rate(step, 15, 3e-4, cosine=False) for step in range(15)} == {3e-4}
    rates = [learning_rate(step, 450, 5e-4, cosine=True) for step in range(450)]
    assert rates[0] == pytest.approx(5e-5) and rates[9] == pytest.approx(5e-4)
    assert all(a >= b for a, b in zip(rates[10:], rates[11:]))
    assert rates[-1] == pytest.approx(5e-5, rel=0.01)


def padding(lengths: list[int], order: list[list[int]]) -> int:
    return sum(max(lengths[i] for i in batch) * len(batch) - sum(lengths[i] for i in batch) for batch in order)


def test_batches_group_similar_lengths_and_a_pass_sees_every_example_once():
    rng = random.Random(1)
    lengths = [rng.randint(20, 250) for _ in range(1003)]
    order = batch_order(lengths, 8, 125, seed=0)  # one pass: 1003 // 8 batches
    assert len(order) == 125 and all(len(batch) == 8 for batch in order)
    seen = [i for batch in order for i in batch]
    assert len(set(seen)) == len(seen) == 1000
    unsorted = [list(range(k, k + 8)) for k in range(0, 1000, 8)]
    assert padding(lengths, order) < padding(lengths, unsorted) / 5
    assert order != sorted(order, key=lambda batch: lengths[batch[0]])  # batches still come in random order


def test_a_set_smaller_than_a_batch_still_fills_every_batch():
    order = batch_order([5, 9, 7], 8, 4, seed=0)
    assert len(order) == 4 and all(len(batch) == 8 and set(batch) == {0, 1, 2} for batch in order)
