"""Generate stage: plan who answers, check the adapters are really applied, generate with a cache."""

from .adapter_check import verify_adapters
from .cache import GenerationCache, default_cache_dir
from .loop import Generated, generate
from .plan import RunPlan, Side, plan_run

__all__ = [
    "GenerationCache",
    "Generated",
    "RunPlan",
    "Side",
    "default_cache_dir",
    "generate",
    "plan_run",
    "verify_adapters",
]
