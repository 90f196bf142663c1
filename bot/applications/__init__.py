"""Applications and hand-off requests: the personal data the bot collects."""
