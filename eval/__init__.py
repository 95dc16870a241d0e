"""khabar eval: scoring any extractor against the gold set."""
