"""djgate: commit governance for Django teams."""

__version__ = "0.1.0"
