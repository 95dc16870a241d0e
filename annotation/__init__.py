"""khabar annotation: the data model, the scheme, ingestion and the Label Studio round trip."""

__version__ = "0.1.0"
