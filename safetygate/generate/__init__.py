"""Generate stage: plan who answers, check the checkpoints are really applied, generate with a cache."""

from .adapter_check import CheckpointChecks
from .by_engine import generate_sides
from .cache import GenerationCache, default_cache_dir
from .engines import Engines
from .loop import Generated, generate
from .plan import RunPlan, Side, plan_run

__all__ = [
    "CheckpointChecks",
    "Engines",
    "GenerationCache",
    "Generated",
    "RunPlan",
    "Side",
    "default_cache_dir",
    "generate",
    "generate_sides",
    "plan_run",
]
