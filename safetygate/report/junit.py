"""junit.xml for CI dashboards: one test case per (language, policy rule), failures carrying the message.

One suite per candidate: a sweep's candidates each get their own, named after them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .result import CandidateResult, GateResult, ViolationRecord

Case = tuple[str, str, list[ViolationRecord]]


def _cases(result: GateResult, comparison: CandidateResult) -> list[Case]:
    """(language, rule, the violations of that rule there) for every rule the policy applies to a language."""
    # Rules beyond the thresholds that the policy turns on for every language.
    policy_rules = (["unclear_decides"] if result.policy.unclear == "fail" else []) + (
        ["underpowered"] if result.policy.require_power else []
    )
    cases = []
    for language, outcome in comparison.languages.items():
        for rule in outcome.thresholds.active + policy_rules:
            failures = [v for v in comparison.violations if v.language == language and v.rule == rule]
            cases.append((language, rule, failures))
    return cases


def _failed(cases: list[Case]) -> int:
    return sum(1 for *_, failures in cases if failures)


def _suite(parent: ET.Element, name: str, classname: str, cases: list[Case], seconds: str) -> None:
    suite = ET.SubElement(
        parent,
        "testsuite",
        name=name,
        tests=str(len(cases)),
        failures=str(_failed(cases)),
        errors="0",
        skipped="0",
        time=seconds,
    )
    for language, rule, failures in cases:
        case = ET.SubElement(suite, "testcase", classname=f"{classname}.{language}", name=rule, time="0")
        for v in failures:
            failure = ET.SubElement(case, "failure", message=v.message, type=rule)
            failure.text = f"value {v.value:.4f}, threshold {v.threshold:.4f}"


def render_junit(result: GateResult) -> str:
    """The JUnit XML document: parses with any standard JUnit reader."""
    seconds = f"{result.run.timings_s.get('total', 0):.3f}"
    title = f"safetygate policy {result.policy.name}"
    suites = {name: _cases(result, c) for name, c in result.comparisons().items()}
    every = [case for cases in suites.values() for case in cases]
    root = ET.Element(
        "testsuites", name="safetygate", tests=str(len(every)), failures=str(_failed(every)), errors="0", time=seconds
    )
    if not result.candidates:
        _suite(root, title, "safetygate", every, seconds)
    else:
        # The run's time is not split between candidates: the whole document carries it, each suite none.
        for name, cases in suites.items():
            _suite(root, f"{title}: candidate {name}", f"safetygate.{name}", cases, "0.000")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
