"""Double-entry ledger, payment gateways, webhooks and payouts (arrives with the Contracts issue)."""
