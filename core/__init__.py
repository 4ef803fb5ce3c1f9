"""Pieces every app shares: domain exceptions, the API error handler, money display, uploads."""
