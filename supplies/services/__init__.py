"""The domain: stock, distributions, reports and imports. No requests, sessions or templates."""
