"""safetygate: a safety regression gate for fine-tuned LLMs.

Importing the package is cheap: torch, transformers and vllm load only inside
the backend that needs them.
"""

__version__ = "0.1.0"
