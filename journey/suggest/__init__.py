"""Segment suggestions: behaviour clusters from early usage, and rules that predict them.

`journey.suggest.summary` reads per account what the suggestions learn from;
`journey.suggest.behaviour` clusters and learns (it imports scikit-learn, so only on use).
"""
