"""An ensemble engine: a weighted sum of member engines' log-probabilities, class biases and a
temperature, all read from a small JSON file written by ``enrich.training.build_ensemble``.

    p(label) ∝ exp((Σ_m w_m · log p_m(label) + b_label) / T)

The weights and biases are chosen on the Wisesight *valid* split, the temperature fitted there
(negative log-likelihood), so that the probability stored with each label is calibrated.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from enrich.sentiment.common import LABELS, decide, softmax
from sadap.errors import ConfigError

FORMAT = "sadap-sentiment-ensemble/1"
_FLOOR = 1e-6  # members that give a label probability 0 (no such class) must not veto it


@dataclass
class EnsembleSentiment:
    members: list[tuple[str, float]]  # (engine name, weight)
    bias: list[float]  # per label, in LABELS order
    temperature: float
    resolve: Callable[[str], Any]  # engine name → loaded model

    @classmethod
    def load(cls, path: str | Path, resolve: Callable[[str], Any]) -> EnsembleSentiment:
        path = Path(path)
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read sentiment ensemble {path}: {exc}") from None
        if spec.get("format") != FORMAT:
            raise ConfigError(f"{path}: unsupported ensemble format {spec.get('format')!r} (expected {FORMAT!r})")
        members = [(str(m["engine"]), float(m["weight"])) for m in spec["members"]]
        bias = [float(spec["bias"].get(label, 0.0)) for label in LABELS]
        temperature = float(spec.get("temperature", 1.0))
        if not members or temperature <= 0:
            raise ConfigError(f"{path}: an ensemble needs members and a positive temperature")
        return cls(members=members, bias=bias, temperature=temperature, resolve=resolve)

    def warm(self) -> None:
        for name, _ in self.members:
            self.resolve(name)

    def member_proba(self, texts: Sequence[str], tokens: Sequence[Sequence[str]]):
        """Each member's (probabilities, evidence), by engine name."""
        return {name: self.resolve(name).proba(texts, tokens) for name, _ in self.members}

    def combine(self, member_proba: dict[str, Any]):
        import numpy as np

        z = None
        evidence = None
        for name, weight in self.members:
            p, ev = member_proba[name]
            term = weight * np.log(np.maximum(p, _FLOOR))
            z = term if z is None else z + term
            evidence = ev if evidence is None else (evidence | ev)
        z = (z + np.asarray(self.bias)) / self.temperature
        return softmax(z), evidence

    def proba(self, texts: Sequence[str], tokens: Sequence[Sequence[str]]):
        return self.combine(self.member_proba(texts, tokens))

    def predict(self, texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> list[tuple[str, float]]:
        p, evidence = self.proba(texts, tokens)
        return decide(texts, p, evidence)
