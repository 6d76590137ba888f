"""Score findings against a scenario's answer key: precision and recall per finding code.

A finding is matched to the key by its code and its subject id. Several findings on one subject
(a facility flagged for two audit years, a country for two minerals) count once: the question is
whether the subject was flagged. Per code:

* **true positive**: a flagged subject the key plants under that code;
* **false negative**: a planted subject no finding of that code names;
* **related**: a flagged subject the key lists as a consequence of a planted problem (the UNTP
  mass balance of a facility that processed untraced material): correct, but not what was
  planted, so it counts neither way;
* **false positive**: any other flagged subject — a clean control, or a problem chain's subject
  under a code that was not planted there.

Precision is TP / (TP + FP) and recall TP / (TP + FN); either is ``None`` where its denominator is
zero. Clean control lots named as the subject of any finding are listed on their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from oresight.core.findings import Finding
from oresight.sim.scenario_key import AnswerKey, ProblemKind

MAX_LISTED = 20
"""How many missed or unexpected subjects a score lists, per code."""


@dataclass(frozen=True)
class CodeScore:
    """How well one finding code's rule found what was planted for it."""

    code: str
    planted: int
    """Distinct subjects planted under the code."""
    flagged: int
    """Distinct subjects the findings of the code name."""
    true_positives: int
    false_positives: int
    false_negatives: int
    related: int
    precision: float | None
    recall: float | None
    missed: tuple[str, ...]
    """Planted subjects not flagged (the first :data:`MAX_LISTED`)."""
    unexpected: tuple[str, ...]
    """Flagged subjects neither planted nor related (the first :data:`MAX_LISTED`)."""

    def meets(self, *, precision: float, recall: float) -> bool:
        """Whether both targets hold; a code with nothing planted meets them if nothing was
        flagged either."""
        if self.planted == 0:
            return self.false_positives == 0
        return (self.precision or 0.0) >= precision and (self.recall or 0.0) >= recall


@dataclass(frozen=True)
class DetectionScore:
    """The scores of every code the key plants or the findings raise."""

    codes: dict[str, CodeScore]
    clean_lots: int
    clean_lots_flagged: tuple[str, ...]
    """Clean control lots that some finding names as its subject."""


def score_detection(findings: Iterable[Finding], key: AnswerKey) -> DetectionScore:
    """Match ``findings`` to ``key`` by (code, subject id) and score each code."""
    flagged: dict[str, set[str]] = defaultdict(set)
    subjects: set[str] = set()
    for finding in findings:
        flagged[finding.code.value].add(finding.subject.id)
        subjects.add(finding.subject.id)
    planted: dict[str, set[str]] = defaultdict(set)
    for entry in key.planted:
        planted[entry.code].add(entry.subject_id)
    related: dict[str, set[str]] = defaultdict(set)
    for entry in key.related:
        related[entry.code].add(entry.subject_id)
    codes = {ProblemKind(kind).code.value for kind in key.params.kinds} | set(flagged)
    scores = {
        code: _score(code, planted[code], related[code] - planted[code], flagged[code])
        for code in sorted(codes)
    }
    clean = tuple(lot for lot in key.clean_lots if lot in subjects)
    return DetectionScore(scores, len(key.clean_lots), clean)


def _score(code: str, planted: set[str], related: set[str], flagged: set[str]) -> CodeScore:
    hits = flagged & planted
    unexpected = flagged - planted - related
    missed = planted - flagged
    tp, fp, fn = len(hits), len(unexpected), len(missed)
    return CodeScore(
        code=code,
        planted=len(planted),
        flagged=len(flagged),
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
        related=len(flagged & related),
        precision=tp / (tp + fp) if tp + fp else None,
        recall=tp / (tp + fn) if tp + fn else None,
        missed=tuple(sorted(missed)[:MAX_LISTED]),
        unexpected=tuple(sorted(unexpected)[:MAX_LISTED]),
    )
