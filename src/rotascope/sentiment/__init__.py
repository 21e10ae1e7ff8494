"""Finance-specific text sentiment (Loughran-McDonald word lists) for headlines and filings."""

from rotascope.sentiment.lexicon import NEGATIONS, Lexicon, SentimentScore, load_lexicon, score

__all__ = ["NEGATIONS", "Lexicon", "SentimentScore", "load_lexicon", "score"]
