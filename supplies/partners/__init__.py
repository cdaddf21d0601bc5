"""Partner agencies' screens (issue 24): requests, deliveries, monthly reports, the queue."""
