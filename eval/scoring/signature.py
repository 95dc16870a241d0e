"""The signature line that fixes how a result was obtained (after sacrebleu's ``Signature``).

``khabar:0.1|gold:3f2a9c1e|ents:strict|claims:iou0.5|norm:ar|align:fuzzy0.75+clitics|bs:1000|seed:12345``

- ``khabar``: the version (major.minor) of the scorer;
- ``gold``: the gold set's content fingerprint (:func:`annotation.gold.dataset.fingerprint`);
- ``release``: the gold release's version (:mod:`annotation.gold.release`), only when the gold has one;
- ``ents``: the headline entity scheme (all four are in the result);
- ``claims``: the token IoU threshold of claim matching;
- ``norm``: ``ar`` when offset-free spans are aligned after Arabic normalisation, else ``none``;
- ``align``: the alignment steps (:meth:`eval.inputs.alignment.AlignConfig.describe`);
- ``map``: the label mapping, only when one was given;
- ``ov``: the minimum overlap (percent of the gold mention), only when one was given;
- ``bs`` / ``seed``: bootstrap resamples and seed of the confidence intervals (``bs:0``: none).
"""

from __future__ import annotations

from dataclasses import dataclass

from annotation import __version__
from eval.inputs.alignment import AlignConfig
from eval.scoring.defaults import DEFAULT_CLAIM_IOU, DEFAULT_RESAMPLES, DEFAULT_SCHEME, DEFAULT_SEED


@dataclass(frozen=True)
class Signature:
    gold: str
    scheme: str = DEFAULT_SCHEME
    iou: float = DEFAULT_CLAIM_IOU
    normalise: bool = True
    align: str = AlignConfig().describe()  # the default alignment steps
    label_map: str | None = None
    bootstrap: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    version: str = ".".join(__version__.split(".")[:2])
    release: str | None = None  # the gold release's version, when the gold names one
    min_overlap: float | None = None


    def parts(self) -> list[tuple[str, str]]:
        parts = [("khabar", self.version), ("gold", self.gold)]
        if self.release:
            parts.append(("release", self.release))
        parts += [("ents", self.scheme),
                 ("claims", f"iou{self.iou:g}"), ("norm", "ar" if self.normalise else "none"),
                 ("align", self.align)]
        if self.label_map:
            parts.append(("map", self.label_map))
        if self.min_overlap is not None:
            parts.append(("ov", f"{self.min_overlap:g}"))
        parts += [("bs", str(self.bootstrap)), ("seed", str(self.seed))]
        return parts

    def __str__(self) -> str:
        return "|".join(f"{k}:{v}" for k, v in self.parts())
