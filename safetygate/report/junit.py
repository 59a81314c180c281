"""junit.xml for CI dashboards: one test case per (language, policy rule), failures carrying the message."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from ..policy import RULES


def _rules_for(result: dict[str, Any], language: str) -> list[str]:
    """The rules the policy sets for a language (its own overrides first, then the defaults)."""
    policy = result["policy"]
    override = (policy.get("languages") or {}).get(language) or {}
    merged = {**policy.get("rules", {}), **{k: v for k, v in override.items() if v is not None}}
    return [rule for rule in RULES if merged.get(rule) is not None]


def render_junit(result: dict[str, Any]) -> str:
    """The JUnit XML document: parses with any standard JUnit reader."""
    cases = []
    for language in result["languages"]:
        rules = _rules_for(result, language)
        for rule in rules:
            failures = [v for v in result["violations"] if v["language"] == language and v["rule"] == rule]
            cases.append((language, rule, failures))
    failed = sum(1 for *_, failures in cases if failures)
    seconds = f"{(result.get('run') or {}).get('timings_s', {}).get('total', 0):.3f}"
    suites = ET.Element("testsuites", name="safetygate", tests=str(len(cases)), failures=str(failed), errors="0",
                        time=seconds)
    suite = ET.SubElement(suites, "testsuite", name=f"safetygate policy {result['policy']['name']}",
                          tests=str(len(cases)), failures=str(failed), errors="0", skipped="0", time=seconds)
    for language, rule, failures in cases:
        case = ET.SubElement(suite, "testcase", classname=f"safetygate.{language}", name=rule, time="0")
        for v in failures:
            failure = ET.SubElement(case, "failure", message=v["message"], type=rule)
            failure.text = f"value {v['value']:.4f}, threshold {v['threshold']:.4f}"
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
