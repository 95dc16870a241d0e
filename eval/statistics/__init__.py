"""Confidence intervals and significance tests by resampling documents (after sacrebleu).

Everything works on per-document counts (flat ``{dotted key: count}`` mappings, the sufficient
statistics of every headline metric) and one metric function that maps SUMMED counts to
``{result path: value}``: a resample never re-scores anything, it sums the counts of the
documents it draws.

- ``counts``: per-document counts as a ``documents x keys`` matrix;
- ``resampling``: seeded resample weights, coin flips, and their sums with a count matrix;
- ``evaluation``: the metric on rows of summed counts (per row, or once on arrays);
- ``bootstrap``: percentile bootstrap intervals (``bootstrap_ci``, used by ``khabar score``);
- ``runs``: reading result JSONs and checking that two runs compare (no numpy);
- ``paired``: the paired bootstrap and approximate randomization tests (``khabar compare``).

The defaults (resamples, seed, alpha, trials) are :mod:`eval.scoring.defaults`'. This package
imports nothing itself, so ``import eval.statistics.runs`` stays light.
"""
