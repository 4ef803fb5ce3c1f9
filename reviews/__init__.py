"""Two-way double-blind reviews and reputation figures (arrives with the Reviews issue)."""
