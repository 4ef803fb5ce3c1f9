"""Market pages, one module per subject: site (home, dashboard, moderation), projects, proposals, interviews."""
