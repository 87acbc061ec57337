"""Segment suggestions: behaviour clusters from early usage, and rules that predict them."""

from journey.suggest.behaviour import Suggestion, suggest

__all__ = ["Suggestion", "suggest"]
