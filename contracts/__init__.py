"""Offers, contracts, milestones, submissions and disputes (arrives with the Contracts issue)."""
