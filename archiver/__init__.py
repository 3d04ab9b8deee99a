"""archiver: turns a folder of dropped text files into a clean, deduplicated, searchable archive."""

__version__ = "0.1.0"
