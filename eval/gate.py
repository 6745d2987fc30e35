"""The regression gate: absolute floors/ceilings from `eval/thresholds.toml`, and allowed change since the
previous run in the history folder (one `<timestamp>.json` summary per run). A rule named `en/hit@1` judges
one language's figure (see `gated_metrics`).

A rule per metric: `min` (floor) and `max_drop` for higher-is-better metrics, `max` (ceiling) and `max_rise`
for lower-is-better ones (false-refusal rate, latency, errors). A metric the run could not measure (None: e.g.
no unanswerable item in the golden set) is not judged.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

THRESHOLDS = Path(__file__).with_name("thresholds.toml")
# Rounding noise must never read as a regression.
_EPSILON = 1e-9


@dataclass(frozen=True)
class Rule:
    metric: str
    min: float | None = None
    max: float | None = None
    max_drop: float | None = None
    max_rise: float | None = None


@dataclass(frozen=True)
class Finding:
    """One broken rule."""

    metric: str
    kind: str  # "floor", "ceiling", "drop", "rise"
    value: float
    limit: float
    previous: float | None = None

    def describe(self) -> str:
        if self.kind == "floor":
            return f"{self.metric} = {self.value:.4g} is below its floor {self.limit:.4g}"
        if self.kind == "ceiling":
            return f"{self.metric} = {self.value:.4g} is above its ceiling {self.limit:.4g}"
        verb = "dropped" if self.kind == "drop" else "rose"
        change = abs(self.value - self.previous)
        return (
            f"{self.metric} {verb} by {change:.4g} ({self.previous:.4g} → {self.value:.4g}) "
            f"since the previous run; allowed {self.limit:.4g}"
        )


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, Rule]:
    with open(path, "rb") as f:
        table = tomllib.load(f)
    rules = {}
    for metric, limits in table.items():
        unknown = set(limits) - {"min", "max", "max_drop", "max_rise"}
        if unknown:
            raise ValueError(f"{path}: [{metric}] has unknown keys {sorted(unknown)}")
        rules[metric] = Rule(metric, **{key: float(value) for key, value in limits.items()})
    return rules


def gated_metrics(summary: dict) -> dict:
    """The overall metrics plus each language's, keyed `en/hit@1`: an English regression hidden by the
    Chinese majority of a golden set still breaks the gate."""
    metrics = dict(summary["metrics"])
    for language, values in summary.get("by", {}).get("language", {}).items():
        metrics.update({f"{language}/{name}": value for name, value in values.items()})
    return metrics


def regressions(metrics: dict, previous: dict | None, rules: dict[str, Rule]) -> list[Finding]:
    """Metrics that got worse since the previous run by more than their allowed margin."""
    if not previous:
        return []
    found = []
    for rule in rules.values():
        now, before = metrics.get(rule.metric), previous.get(rule.metric)
        if now is None or before is None:
            continue
        if rule.max_drop is not None and before - now > rule.max_drop + _EPSILON:
            found.append(Finding(rule.metric, "drop", now, rule.max_drop, before))
        if rule.max_rise is not None and now - before > rule.max_rise + _EPSILON:
            found.append(Finding(rule.metric, "rise", now, rule.max_rise, before))
    return found


def check(metrics: dict, previous: dict | None, rules: dict[str, Rule]) -> list[Finding]:
    """Every broken rule: floors and ceilings, then regressions since the previous run."""
    found = []
    for rule in rules.values():
        value = metrics.get(rule.metric)
        if value is None:
            continue
        if rule.min is not None and value < rule.min - _EPSILON:
            found.append(Finding(rule.metric, "floor", value, rule.min))
        if rule.max is not None and value > rule.max + _EPSILON:
            found.append(Finding(rule.metric, "ceiling", value, rule.max))
    return found + regressions(metrics, previous, rules)


# --- history folder -----------------------------------------------------------------------------------------


def run_stamp(now: datetime) -> str:
    """File-name-safe and sortable: the history's order is its file names' order."""
    return now.strftime("%Y-%m-%dT%H-%M-%S.%fZ")


def load_history(folder: Path | None) -> list[tuple[str, dict]]:
    """(stamp, summary) of every past run, oldest first."""
    if folder is None or not Path(folder).is_dir():
        return []
    return [(p.stem, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(Path(folder).glob("*.json"))]


def save_summary(folder: Path, stamp: str, summary: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stamp}.json"
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
