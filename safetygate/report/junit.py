"""junit.xml for CI dashboards: one test case per (language, policy rule), failures carrying the message."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .result import GateResult


def render_junit(result: GateResult) -> str:
    """The JUnit XML document: parses with any standard JUnit reader."""
    cases = []
    # Rules beyond the thresholds that the policy turns on for every language.
    policy_rules = (["unclear_decides"] if result.policy.unclear == "fail" else []) + (
        ["underpowered"] if result.policy.require_power else []
    )
    for language, outcome in result.languages.items():
        for rule in outcome.thresholds.active + policy_rules:
            failures = [v for v in result.violations if v.language == language and v.rule == rule]
            cases.append((language, rule, failures))
    failed = sum(1 for *_, failures in cases if failures)
    seconds = f"{result.run.timings_s.get('total', 0):.3f}"
    suites = ET.Element(
        "testsuites", name="safetygate", tests=str(len(cases)), failures=str(failed), errors="0", time=seconds
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"safetygate policy {result.policy.name}",
        tests=str(len(cases)),
        failures=str(failed),
        errors="0",
        skipped="0",
        time=seconds,
    )
    for language, rule, failures in cases:
        case = ET.SubElement(suite, "testcase", classname=f"safetygate.{language}", name=rule, time="0")
        for v in failures:
            failure = ET.SubElement(case, "failure", message=v.message, type=rule)
            failure.text = f"value {v.value:.4f}, threshold {v.threshold:.4f}"
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
