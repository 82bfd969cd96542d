"""An ensemble engine: a weighted sum of member engines' log-probabilities, class biases and a
temperature, all read from a small JSON file written by ``enrich.training.build_ensemble``.

    p(label) ∝ exp((Σ_m w_m · log p_m(label) + b_label) / T)

or, for a *stacked* ensemble, a linear map of all members' log-probabilities (a multinomial
logistic regression over them, so a member can be trusted more for one label than another):

    p(label) ∝ exp((Σ_m Σ_k A[label, m·K + k] · log p_m(k) + c_label + b_label) / T)

The weights (or the map) and biases are chosen on Wisesight data the members did not see (the
*valid* split, or cross-fitted predictions over train + valid), the temperature fitted there
(negative log-likelihood), so that the probability stored with each label is calibrated.

An optional *gate* makes it a cascade: a text on which the first (cheap) member is already at
least ``gate`` sure keeps that member's answer, and only the others go through the expensive
members. The builder picks the lowest threshold that costs no quality on the data the weights
were chosen on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from enrich.sentiment.common import LABELS, decide, softmax
from sadap.core.errors import ConfigError
from sadap.core.mention import SentimentLabel

if TYPE_CHECKING:
    from enrich.sentiment.common import BoolArray, FloatArray, SentimentEngine

FORMAT = "sadap-sentiment-ensemble/1"
_FLOOR = 1e-6  # members that give a label probability 0 (no such class) must not veto it


def sure(p_first: FloatArray, gate: float) -> BoolArray:
    """The rows on which the first member's answer stands (the cascade's gate)."""
    stands: BoolArray = p_first.max(axis=1) >= gate
    return stands


@dataclass
class EnsembleSentiment:
    members: list[tuple[str, float]]  # (engine name, weight)
    bias: list[float]  # per label, in LABELS order
    temperature: float
    resolve: Callable[[str], SentimentEngine]  # engine name → loaded model
    gate: float | None = None  # the first member's confidence above which the others are skipped
    stack: tuple[FloatArray, FloatArray] | None = None  # (A: labels × members·labels, c: labels), replaces the weights

    @classmethod
    def load(cls, path: str | Path, resolve: Callable[[str], SentimentEngine]) -> EnsembleSentiment:
        path = Path(path)
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read sentiment ensemble {path}: {exc}") from None
        if spec.get("format") != FORMAT:
            raise ConfigError(f"{path}: unsupported ensemble format {spec.get('format')!r} (expected {FORMAT!r})")
        stacked = spec.get("stack") is not None
        try:
            members = [(str(m["engine"]), float(m.get("weight", 0.0) if stacked else m["weight"]))
                       for m in spec["members"]]
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"{path}: each member needs an engine and (unless the ensemble is stacked) "
                              "a numeric weight") from None
        bias = [float(spec["bias"].get(label, 0.0)) for label in LABELS]
        temperature = float(spec.get("temperature", 1.0))
        if not members or temperature <= 0:
            raise ConfigError(f"{path}: an ensemble needs members and a positive temperature")
        gate = spec.get("gate")
        if gate is not None and not 0 < float(gate) <= 1:
            raise ConfigError(f"{path}: gate must be a probability in (0, 1], got {gate!r}")
        stack = spec.get("stack")
        if stack is not None:
            import numpy as np

            coef = np.asarray(stack.get("coef"), dtype=np.float64)
            intercept = np.asarray(stack.get("intercept"), dtype=np.float64)
            if coef.shape != (len(LABELS), len(LABELS) * len(members)) or intercept.shape != (len(LABELS),):
                raise ConfigError(f"{path}: stack.coef must be {len(LABELS)} × {len(LABELS) * len(members)} "
                                  f"and stack.intercept {len(LABELS)} numbers, got {coef.shape} and {intercept.shape}")
            stack = (coef, intercept)
        return cls(members=members, bias=bias, temperature=temperature, resolve=resolve,
                   gate=None if gate is None else float(gate), stack=stack)

    def warm(self) -> None:
        for name, _ in self.members:
            self.resolve(name)

    def member_proba(
        self, texts: Sequence[str], tokens: Sequence[Sequence[str]]
    ) -> dict[str, tuple[FloatArray, BoolArray]]:
        """Each member's (probabilities, evidence), by engine name."""
        return {name: self.resolve(name).proba(texts, tokens) for name, _ in self.members}

    def combine(self, member_proba: dict[str, tuple[FloatArray, BoolArray]]) -> tuple[FloatArray, BoolArray]:
        import numpy as np

        logs, evidence = [], None
        for name, _ in self.members:
            p, ev = member_proba[name]
            logs.append(np.log(np.maximum(p, _FLOOR)))
            evidence = ev if evidence is None else (evidence | ev)
        if self.stack is not None:
            coef, intercept = self.stack
            z = np.hstack(logs) @ coef.T + intercept
        else:
            z = cast("FloatArray", sum(weight * lp for (_, weight), lp in zip(self.members, logs)))
        z = (z + np.asarray(self.bias)) / self.temperature
        return softmax(z), cast("BoolArray", evidence)  # never None: an ensemble has members (load checks)

    def proba(self, texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> tuple[FloatArray, BoolArray]:
        if self.gate is None:
            return self.combine(self.member_proba(texts, tokens))
        import numpy as np

        first = self.members[0][0]
        p_first, ev_first = self.resolve(first).proba(texts, tokens)
        rest = np.flatnonzero(~sure(p_first, self.gate))
        p, evidence = p_first.copy(), ev_first.copy()
        if len(rest):
            sub_texts = [texts[int(i)] for i in rest]
            sub_tokens = [tokens[int(i)] for i in rest]
            members = {first: (p_first[rest], ev_first[rest])}
            for name, _ in self.members[1:]:
                members[name] = self.resolve(name).proba(sub_texts, sub_tokens)
            p[rest], evidence[rest] = self.combine(members)
        return p, evidence

    def predict(self, texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> list[tuple[SentimentLabel, float]]:
        p, evidence = self.proba(texts, tokens)
        return decide(texts, p, evidence)
