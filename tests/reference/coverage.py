"""Double programming: every field of the results JSON against the R reference scripts' outputs.

The R scripts under tests/reference/ each write one JSON file per case folder (tests/fixtures/r/
<case>/ and tests/fixtures/r-shared/<case>/). ``REGISTRY`` says where each part of each file
lands in the results JSON; ``expected_tree`` assembles them into one tree in the results JSON's
layout, and ``compare`` walks the *union* of the keys of that tree and of the tool's results:

- a field R writes and the tool lacks fails;
- a field the tool writes and R lacks fails, unless ``NOT_COMPARED`` names it (with a reason);
- numbers agree to 1e-6 |R| + 1e-9, integers (counts) and everything else exactly;
- a disagreement where R follows dmc-sap.md and the tool does not is listed in
  ``EXPECTED_FAILURES`` with both values (for the lead to fix in src/): it is reported, not
  failed, and an entry that no longer disagrees fails (so the list shrinks).

To add a script: write ``tests/reference/<name>.R`` writing ``<name>.json`` per case (source
read.R, loop over ``case_folders``), and add one line to ``REGISTRY``.

    .venv/bin/python -m tests.reference.coverage     # the counts, per case and in total
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "r"
SHARED_FIXTURES = ROOT / "tests" / "fixtures" / "r-shared"
PROTOCOL = ROOT / "templates" / "protocols" / "ketamine-mbrp.toml"


@dataclass(frozen=True)
class Part:
    """``file``'s value at ``source`` lands at ``target`` in the results JSON. A ``*`` in
    ``source`` matches any key (an arm code), and the keys it matched fill the ``*`` in
    ``target`` in order. ``null_is_absent``: R's null there means the tool writes no key."""

    file: str
    source: str
    target: str
    null_is_absent: bool = False


REGISTRY: tuple[Part, ...] = (
    Part("expected.json", "blinded", "blinded"),  # derive.R: efficacy, KM curves, comparisons
    Part("expected.json", "unblinded", "unblinded"),
    Part("tables.json", "pooled", "blinded"),  # tables.R: enrolment, baseline, safety tables...
    Part("tables.json", "by_arm.*.disposition", "unblinded.disposition.*"),
    Part("tables.json", "by_arm.*.safety", "unblinded.safety.by_arm.*"),
    Part("tables.json", "by_arm.*.baseline", "unblinded.baseline.*"),
    Part("tables.json", "unblinded", "unblinded"),  # exposure, follow-up, vital signs by arm
    Part("questionnaires.json", "pooled", "blinded.questionnaires"),  # questionnaires.R
    Part("questionnaires.json", "by_arm.*", "unblinded.questionnaires.*"),
    Part("safety.json", "pooled", "blinded.safety"),  # safety.R: relatedness, SOC x severity
    Part("safety.json", "by_arm.*", "unblinded.safety.by_arm.*"),
    Part("exposure.json", "pooled", "blinded.exposure.dosing_log", null_is_absent=True),
    Part("exposure.json", "by_arm.*", "unblinded.exposure.*.dosing_log", null_is_absent=True),
    Part("monitoring.json", "blinded", "blinded.monitoring"),  # monitoring_study.R (rpact)
    Part("monitoring.json", "unblinded", "unblinded.monitoring"),
    Part("urine_panel.json", "pooled", "blinded.urine_panel"),  # urine_panel.R: other analytes
    Part("urine_panel.json", "by_arm", "unblinded.urine_panel"),
    Part("currency.json", "data_currency", "blinded.data_currency"),  # currency.R: entry lag
)

# Fields of the results JSON not compared with R, each with the reason: text and bookkeeping,
# never a number a statistic gives. Patterns are fnmatch patterns over the field's path, with
# list indices written "[]" (e.g. "unblinded.comparisons[].ae_terms[].risk_difference.method").
NOT_COMPARED: dict[str, str] = {
    "schema": "the results format's name",
    "study_id": "the protocol's study id, echoed",
    "data_cutoff": "the cutoff given, echoed",
    "software.*": "the tool's name and version",
    "inputs.*": "names, sizes and SHA-256 of the input files (provenance, not an analysis)",
    "validation.*": "the data checks' findings and their counts: tested by the validation tests "
    "against planted defects (tests/unit/test_validation.py), not an SAP statistic",
    "*.note": "explanatory text beside a null",
    "*_note": "explanatory text beside a null",
    "*.notes": "explanatory text (monitoring)",
    "*.notes[]": "explanatory text (monitoring)",
    "*.method": "the name of the interval's method (a constant label)",
    "blinded.enrollment.by_site_basis": "a constant label ('randomized')",
}

# Fields whose R script is being written by someone else (each with who and why); not compared
# until its line is in REGISTRY, and counted apart from NOT_COMPARED.
PENDING: dict[str, str] = {}

# Disagreements where R follows dmc-sap.md and the tool does not: (case, field) -> (tool, R,
# why R is right). Each is for the lead to fix in src/; the test reports them and fails when an
# entry no longer disagrees.
EXPECTED_FAILURES: dict[tuple[str, str], tuple[Any, Any, str]] = {}


def case_folders() -> list[Path]:
    out = []
    for root in (FIXTURES, SHARED_FIXTURES):
        if root.is_dir():
            out += sorted(p for p in root.iterdir() if (p / "case.json").is_file())
    return out


def case_info(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "case.json").read_text())


def inputs_of(folder: Path) -> Path:
    """The folder holding the case's data.xlsx and key.xlsx (the case's own, or the shared one)."""
    info = case_info(folder)
    return (folder / info["inputs"]).resolve() if "inputs" in info else folder


def protocol_of(folder: Path) -> Path:
    info = case_info(folder)
    return PROTOCOL if "inputs" in info else folder / "protocol.toml"


def results_json(folder: Path) -> dict[str, Any]:
    """The tool's results JSON for a case."""
    from dmc_report.pipeline import load_study, run_analysis, run_validation

    src = inputs_of(folder)
    loaded = load_study(
        protocol_of(folder),
        src / "data.xlsx",
        key=src / "key.xlsx",
        cutoff=dt.date.fromisoformat(case_info(folder)["cutoff"]),
    )
    results: dict[str, Any] = run_analysis(loaded, run_validation(loaded)).as_json()
    return results


def _matches(
    tree: Any, parts: list[str], caught: tuple[str, ...] = ()
) -> list[tuple[list[str], Any]]:
    """The values of ``tree`` at the dotted path ``parts`` ("*" any key), with the keys "*" caught."""
    if not parts:
        return [(list(caught), tree)]
    if not isinstance(tree, dict):
        return []
    head, rest = parts[0], parts[1:]
    if head == "*":
        return [m for k in tree for m in _matches(tree[k], rest, (*caught, k))]
    return _matches(tree[head], rest, caught) if head in tree else []


def _place(tree: dict[str, Any], path: list[str], value: Any, where: str) -> None:
    node = tree
    for k in path[:-1]:
        node = node.setdefault(k, {})
    last = path[-1]
    if last in node and isinstance(node[last], dict) and isinstance(value, dict):
        for k, v in value.items():
            _place(node[last], [k], v, f"{where}.{k}")
    elif last in node and node[last] != value:
        raise ValueError(f"{where}: two R scripts disagree ({node[last]!r} vs {value!r})")
    else:
        node[last] = value


ABSENT = object()


def expected_tree(folder: Path) -> tuple[dict[str, Any], list[str]]:
    """R's outputs for a case, assembled in the results JSON's layout; and the R files read."""
    tree: dict[str, Any] = {}
    read = []
    for part in REGISTRY:
        path = folder / part.file
        if not path.is_file():
            continue
        read.append(part.file)
        data = json.loads(path.read_text())
        for caught, value in _matches(data, part.source.split(".")):
            target = part.target.split(".")
            it = iter(caught)
            target = [next(it) if t == "*" else t for t in target]
            if value is None and part.null_is_absent:
                value = ABSENT
            _place(tree, target, value, ".".join(target))
    return tree, sorted(set(read))


def _norm(path: str) -> str:
    out, depth = [], 0
    for ch in path:
        if ch == "[":
            depth += 1
            out.append("[]")
        elif ch == "]":
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out)


def not_compared(path: str) -> str | None:
    p = _norm(path)
    for pattern, reason in (NOT_COMPARED | PENDING).items():
        if fnmatch.fnmatchcase(p, pattern):
            return reason
    return None


def _pending(path: str) -> bool:
    return any(fnmatch.fnmatchcase(_norm(path), p) for p in PENDING)


def _number_differs(r: Any, got: Any) -> bool:
    if isinstance(r, int) and isinstance(got, int):
        return r != got
    if not isinstance(got, int | float) or isinstance(got, bool):
        return True
    return bool(abs(got - r) > 1e-6 * abs(r) + 1e-9)


@dataclass
class Walk:
    fields: int = 0  # leaves of the tool's results JSON (an empty list or object counts as one)
    compared: list[str] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)
    numeric_not_compared: list[str] = field(default_factory=list)  # of not_compared
    pending: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    disagreements: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def leaf(self, path: str, r: Any, got: Any) -> None:
        self.fields += 1
        if r is None and got is None:
            self.compared.append(path)
            return
        if isinstance(r, bool) or isinstance(got, bool) or not isinstance(r, int | float):
            same = r == got
        else:
            same = not _number_differs(r, got)
        self.compared.append(path)
        if not same:
            self.disagreements[path] = (got, r)

    def walk(self, r: Any, got: Any, path: str) -> None:
        if isinstance(got, dict) and (isinstance(r, dict) or r is ABSENT):
            rr = {} if r is ABSENT else r
            if not got and not rr:
                return self.leaf(path, r if r is not ABSENT else {}, got)
            for k in list(got) + [k for k in rr if k not in got]:
                sub = f"{path}.{k}" if path else k
                if k not in got:
                    if rr[k] is not ABSENT:
                        self.problems.append(f"{sub}: R writes {rr[k]!r:.60}, the tool nothing")
                    continue
                if k not in rr:
                    self._tool_only(sub, got[k])
                    continue
                self.walk(rr[k], got[k], sub)
            return None
        if isinstance(got, list) and isinstance(r, list):
            if not got and not r:
                return self.leaf(path, r, got)
            if len(got) != len(r):
                self.problems.append(f"{path}: R has {len(r)} items, the tool {len(got)}")
                self._count_only(got, path)
                return None
            for i, (a, b) in enumerate(zip(r, got, strict=True)):
                self.walk(a, b, f"{path}[{i}]")
            return None
        if isinstance(got, dict | list) or isinstance(r, dict | list) or r is ABSENT:
            if r is ABSENT:
                self.problems.append(f"{path}: R writes nothing (null), the tool {got!r:.60}")
            else:
                self.disagreements[path] = (got, r)
            self._count_only(got, path)
            return None
        return self.leaf(path, r, got)

    def _count_only(self, got: Any, path: str) -> None:
        if isinstance(got, dict) and got:
            for k, v in got.items():
                self._count_only(v, f"{path}.{k}")
        elif isinstance(got, list) and got:
            for i, v in enumerate(got):
                self._count_only(v, f"{path}[{i}]")
        else:
            self.fields += 1

    def _tool_only(self, path: str, got: Any) -> None:
        if isinstance(got, dict) and got:
            for k, v in got.items():
                self._tool_only(f"{path}.{k}", v)
        elif isinstance(got, list) and got:
            for i, v in enumerate(got):
                self._tool_only(f"{path}[{i}]", v)
        else:
            self.fields += 1
            reason = not_compared(path)
            if reason is None:
                self.problems.append(f"{path}: the tool writes {got!r:.60}, R nothing")
            elif _pending(path):
                self.pending.append(path)
            else:
                self.not_compared.append(path)
                if isinstance(got, int | float) and not isinstance(got, bool):
                    self.numeric_not_compared.append(path)


def compare(folder: Path, got: dict[str, Any] | None = None) -> Walk:
    """Walk the union of R's tree and the tool's results for one case."""
    r, _ = expected_tree(folder)
    w = Walk()
    w.walk(r, results_json(folder) if got is None else got, "")
    case = folder.name
    for path, (tool, want) in list(w.disagreements.items()):
        if (case, _norm(path)) in EXPECTED_FAILURES or (case, path) in EXPECTED_FAILURES:
            continue
        w.problems.append(f"{path}: R {want!r:.80}, the tool {tool!r:.80}")
    for (c, path), _ in EXPECTED_FAILURES.items():
        if c == case and path not in w.disagreements:
            w.problems.append(f"{path}: listed in EXPECTED_FAILURES but agrees now: remove it")
    return w


def shared_required() -> bool:
    """Under CI the shared reference studies must be there: their tests fail, not skip."""
    return os.environ.get("CI", "").lower() == "true"


ANALYSIS = ("blinded", "unblinded")


def counts() -> dict[str, dict[str, int]]:
    """Per case: the leaves of the results JSON; of those in the analysis (blinded, unblinded):
    compared with R, not compared (text: notes, labels), pending; outside the analysis
    (validation findings, inputs, metadata): not compared, and of those the numbers."""
    out: dict[str, dict[str, int]] = {}
    for folder in case_folders():
        if not (inputs_of(folder) / "data.xlsx").is_file():
            continue
        w = compare(folder)

        def inside(paths: list[str]) -> int:
            return sum(p.startswith(ANALYSIS) for p in paths)

        out[f"{folder.parent.name}/{folder.name}"] = {
            "fields": w.fields,
            "analysis": len(w.compared) + inside(w.not_compared) + len(w.pending),
            "compared": len(w.compared),
            "text": inside(w.not_compared),
            "text_numeric": inside(w.numeric_not_compared),
            "pending": len(w.pending),
            "outside": len(w.not_compared) - inside(w.not_compared),
            "outside_numeric": len(w.numeric_not_compared) - inside(w.numeric_not_compared),
            "known_disagreements": len(w.disagreements),
            "problems": len(w.problems),
        }
    return out


def main() -> None:
    table = counts()
    total = {k: sum(row[k] for row in table.values()) for k in next(iter(table.values()))}
    width = max(map(len, table)) + 2
    cols = {k: max(len(k), 6) + 2 for k in total}
    print(f"{'case':<{width}}" + "".join(f"{k:>{cols[k]}}" for k in total))
    for case, row in [*table.items(), ("total", total)]:
        print(f"{case:<{width}}" + "".join(f"{v:>{cols[k]}}" for k, v in row.items()))


if __name__ == "__main__":
    main()
