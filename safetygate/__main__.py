"""`python -m safetygate`: the same as the `safetygate` command."""

from .cli import app

if __name__ == "__main__":  # guarded: vLLM spawns processes that re-import the main module
    app()
