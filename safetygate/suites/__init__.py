"""Suites stage: prompt sets from built-in suites, JSONL files and folders, CSV tables and datasets."""

from .loading import builtin_suite_names, default_suite_names, load_suite
from .sampling import sample_prompts
from .selection import load_prompts, select_languages

__all__ = [
    "builtin_suite_names",
    "default_suite_names",
    "load_prompts",
    "load_suite",
    "sample_prompts",
    "select_languages",
]
