"""Alignment of offset-free predicted spans to the article text; it never invents a match.

An extractor may give a span only as a string. ``align_prediction`` finds where it is in the
article. The steps, each reported on its own in the result JSON (``AlignReport.to_dict``):

1. ``exact``: the string occurs verbatim;
2. ``normalised``: it occurs once both sides are folded with ``annotation.arabic.fold`` (NFKC, no
   tatweel, diacritics or bidi marks, one alef / hamza-seat / alef maqsura / teh marbuta form,
   ASCII digits, lower case) and, here, zero-width characters dropped, whitespace runs collapsed,
   quotation marks unified and Arabic punctuation (٫ ٬ ٪ ، ؛ ؟) turned into its Latin counterpart.
   An index map from every folded character to its original character gives exact original
   offsets back (``folding``);
3. ``clitic`` (on by default, ``AlignConfig.clitics``): a leading proclitic of
   ``annotation.arabic.PROCLITICS`` is set aside, and the remainder must start a word of the text
   («فبوتين» → «بوتين», never «وتين»); or the string's «ال» follows a fused «لل» in the text
   (``الرئيس`` in «للرئيس» → «رئيس», as the guidelines annotate it); or, for a mention, source or
   via, a proclitic the model kept together with the text («وروسيا») is left out when the rest of
   the word stands alone elsewhere in the article («روسيا»; «وزارة» stays whole) (``index``);
4. ``typo``, for strings of one or two words found by no earlier step: one letter substituted,
   added or dropped strictly inside one word of at least four letters, never in a number or an
   anchor word, and all such places of one and the same text; else unaligned (``index``, ``guards``);
5. ``fuzzy`` (``AlignConfig.fuzzy`` is the threshold), for strings of at least three words found by
   no earlier step: the most similar stretch of whole words by ``difflib`` similarity on folded text,
   among the stretches that agree on every number and anchor word and keep word order
   (``fuzzy``, ``guards``).

Which occurrence a string gets is told in ``choice``: one pool per list (entities, claim contents)
in the list's order, an occurrence used once, an optional ``context`` string per item as evidence,
the k-th repeat on the k-th occurrence without it.

A span that cannot be aligned keeps ``None`` offsets (the scorer counts it as spurious) and is
listed in ``AlignReport.unaligned``; nothing is dropped. Aligned spans get the article's own text at
their offsets; the report lists the predicted string of every non-exact alignment.
"""

from eval.inputs.alignment.aligner import align_prediction
from eval.inputs.alignment.config import DEFAULT_FUZZY, STEPS, AlignConfig, AlignReport
from eval.inputs.alignment.folding import Folded, fold_span, fold_with_map
from eval.inputs.alignment.fuzzy import FUZZY_MIN_WORDS
from eval.inputs.alignment.index import DocIndex

__all__ = ["DEFAULT_FUZZY", "FUZZY_MIN_WORDS", "STEPS", "AlignConfig", "AlignReport", "DocIndex", "Folded",
           "align_prediction", "fold_span", "fold_with_map"]
