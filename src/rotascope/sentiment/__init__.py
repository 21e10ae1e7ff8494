"""Finance text sentiment: the trained model (``model``: labels and scores) and the Loughran-McDonald word
lists it uses as features (``lexicon``)."""

from rotascope.sentiment.lexicon import NEGATIONS, Lexicon, SentimentScore, load_lexicon, score
from rotascope.sentiment.model import CLASSES, SentimentModel, Sentiments, load_model

__all__ = [
    "CLASSES",
    "NEGATIONS",
    "Lexicon",
    "SentimentModel",
    "SentimentScore",
    "Sentiments",
    "load_lexicon",
    "load_model",
    "score",
]
