"""The transformers backend: one base model in memory, peft LoRA adapters switched per group.

The base loads once; each adapter is attached to it under its own name, and
requests are grouped by adapter so every batch runs through one setting (with
float32 weights, the group's adapter merged into them while it runs).
Generation is greedy and left-padded (decoder-only models continue from the
right edge), in batches of similar prompt length whose prompts are read in
groups padded to their own longest (`batching.py`, `prefill.py`); an answer
that ends leaves its batch (`greedy.py`).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from ..errors import BackendError, ModelInputError
from . import Adapter, GenerationRequest, GenerationSettings, Progress, attention, group_by
from .batching import CPU_PREFILL_TOKENS, GPU_PREFILL_TOKENS, auto_batch_size, decode_token_budget, token_batches
from .greedy import greedy_decode

HALF = ("bfloat16", "float16")


class TransformersBackend:
    name = "transformers"
    continues_answers = True

    def __init__(self, base: Path, adapters: list[Adapter], settings: GenerationSettings, merge: bool = True) -> None:
        import torch
        import transformers
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

        # The gate draws its own progress; loaders' bars and advice would bury it.
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        self._torch = torch
        self.settings = settings
        self.merge = merge  # fold an adapter into float32 weights while it generates (False: benchmarks)
        torch.manual_seed(settings.seed)
        on_gpu = torch.cuda.is_available()
        # Half precision on a CPU with adapters: float32 weights stay the master copy (merging an adapter in and
        # out of them is exact) and each adapter group generates on a half-precision copy of the merged model.
        self.runner_dtype = (
            getattr(torch, settings.dtype) if settings.dtype in HALF and adapters and not on_gpu else None
        )
        load_dtype = "float32" if self.runner_dtype is not None else settings.dtype
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(
                base, padding_side="left", trust_remote_code=settings.trust_remote_code
            )
            config = AutoConfig.from_pretrained(base, trust_remote_code=settings.trust_remote_code)
            extra = {"attn_implementation": attention.register()} if attention.uses_grouped_queries(config) else {}
            model = AutoModelForCausalLM.from_pretrained(
                base,
                use_safetensors=True,
                trust_remote_code=settings.trust_remote_code,
                dtype=load_dtype,
                **extra,
            )
        except Exception as exc:  # any loader failure is the model's, not the user's input
            raise BackendError(f"{base}: model failed to load: {_first_line(exc)}") from exc
        if on_gpu:
            model = model.to("cuda")
        if not self.tokenizer.chat_template:
            raise ModelInputError(f"{base}: tokenizer has no chat template; safetygate tests chat models")
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        # An answer ends at the tokenizer's end token or any the model's generation config names.
        configured = getattr(model.generation_config, "eos_token_id", None)
        configured = configured if isinstance(configured, list) else [configured]
        self.stop_ids = {t for t in [self.tokenizer.eos_token_id, *configured] if t is not None}
        element = (self.runner_dtype or next(model.parameters()).dtype).itemsize
        self.batch_size = settings.batch_size or auto_batch_size(model.config, settings.max_tokens, element, on_gpu)
        self.prefill_tokens = GPU_PREFILL_TOKENS if on_gpu else CPU_PREFILL_TOKENS
        self.decode_tokens = decode_token_budget(model.config, settings.max_tokens, element, on_gpu, self.batch_size)
        self.adapter_names: dict[Adapter, str] = {}
        self.model = self._attach_adapters(model, adapters) if adapters else model
        self.model.eval()

    def _attach_adapters(self, model, adapters: list[Adapter]):
        import warnings

        from peft import PeftModel

        # peft calls a transformers API that warns of its own deprecation; not the user's concern.
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        peft_model = None
        for index, adapter in enumerate(dict.fromkeys(adapters)):
            name = f"adapter{index}"
            try:
                if peft_model is None:
                    peft_model = PeftModel.from_pretrained(model, adapter.path, adapter_name=name)
                else:
                    peft_model.load_adapter(adapter.path, adapter_name=name)
            except (RuntimeError, ValueError, KeyError) as exc:
                # Shape mismatches and missing target modules: the adapter was made for another base.
                raise ModelInputError(
                    f"{adapter.path}: adapter does not fit the base model: {_first_line(exc)}"
                ) from None
            self.adapter_names[adapter] = name
        return peft_model

    def generate(self, requests: list[GenerationRequest], on_progress: Progress | None = None) -> list[str]:
        """Answers in request order; one adapter setting per batch."""
        answers: list[str | None] = [None] * len(requests)
        done = 0
        for adapter, indices in group_by(requests, lambda r: r.adapter).items():
            texts = [self._render(requests[i]) for i in indices]
            prompts = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
            with self._running(adapter) as model:
                # Its prompts are read in groups of their own length (`prefill.py`), then decoded together.
                for chunk in token_batches([len(p) for p in prompts], self.batch_size, self.decode_tokens):
                    chunk_requests = [requests[indices[k]] for k in chunk]
                    outputs = self._generate_batch(model, [prompts[k] for k in chunk], chunk_requests)
                    for k, output in zip(chunk, outputs):
                        answers[indices[k]] = output
                    done += len(chunk)
                    if on_progress:
                        on_progress(done, len(requests))
        return [a or "" for a in answers]

    def next_token_logprobs(self, requests: list[GenerationRequest], k: int = 20) -> list[dict[int, float]]:
        """Top-k log-probabilities of the first answer token, one request at a time (no padding noise)."""
        torch = self._torch
        out = []
        for request in requests:
            batch = self.tokenizer([self._render(request)], return_tensors="pt", add_special_tokens=False)
            batch = batch.to(self.model.device)
            with torch.inference_mode(), self._adapter_applied(request.adapter):
                logits = self.model(**batch).logits[0, -1].float()
            top = torch.log_softmax(logits, dim=-1).topk(k)
            out.append(dict(zip(top.indices.tolist(), top.values.tolist())))
        return out

    def _render(self, request: GenerationRequest) -> str:
        return self.tokenizer.apply_chat_template(
            request.messages,
            tokenize=False,
            add_generation_prompt=request.add_generation_prompt,
            continue_final_message=request.continues,
        )

    def _generate_batch(self, model, prompts: list[list[int]], requests: list[GenerationRequest]) -> list[str]:
        limits = [r.max_tokens or self.settings.max_tokens for r in requests]
        try:
            new_tokens = greedy_decode(
                model, prompts, max(limits), self.stop_ids, self.tokenizer.pad_token_id, self.prefill_tokens
            )
        except Exception as exc:
            raise BackendError(f"generation failed: {_first_line(exc)}") from exc
        new_tokens = [tokens[:limit] for tokens, limit in zip(new_tokens, limits)]
        texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        # A continuation keeps its leading space: it is joined to the text it goes on from.
        return [t.rstrip() if r.continues else t.strip() for t, r in zip(texts, requests)]

    @contextmanager
    def _running(self, adapter: Adapter | None):
        """The model that generates for this adapter: merged as set, in the precision the run computes in."""
        with self._adapter_applied(adapter, merge=self.merge):
            if self.runner_dtype is None:
                yield self.model
                return
            import copy

            runner = copy.deepcopy(self.model).to(self.runner_dtype)
            try:
                yield runner
            finally:
                del runner

    @contextmanager
    def _adapter_applied(self, adapter: Adapter | None, merge: bool = False):
        """Run the block with this adapter (None: the base alone).

        merge: fold the adapter into the weights for the block and take it out after. Unmerged, every
        adapted layer adds small matmuls to every generated token, a large share of a small model's time
        on a CPU. Only float32 weights are merged: taking the adapter out restores them to within float32
        rounding, while half-precision weights would keep a rounding error each time.
        """
        if not self.adapter_names:
            yield
        elif adapter is None:
            with self.model.disable_adapter():
                yield
        else:
            self.model.set_adapter(self.adapter_names[adapter])
            if not (merge and next(self.model.parameters()).dtype == self._torch.float32):
                yield
                return
            self.model.merge_adapter()
            try:
                yield
            finally:
                self.model.unmerge_adapter()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
