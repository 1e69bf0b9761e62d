"""Analyses that estimate what an artifact costs on a board, with no vendor tools. Pure functions."""
