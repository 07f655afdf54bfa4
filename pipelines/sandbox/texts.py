"""Names and phrases for the synthetic organisation (plain lists, so generation stays deterministic)."""

from __future__ import annotations

FIRST_NAMES = (
    "Dana Lee Priya Tomás Aisha Ben Chloe Diego Elif Farah Gabe Hana Ivan Jia Kofi Lena Mateo Nadia Omar "
    "Paula Quinn Ravi Sara Tariq Uma Vera Wen Xavier Yara Zoe Amir Bea Carl Dev Emma Finn Greta Hugo Ines "
    "Jonas Kira Liam Maya Nico Olga Pavel Rosa Sam Tina Ugo Vik Will Ximena Yusuf Zara Arjun Bruna Cem Dmitri"
).split()
LAST_NAMES = (
    "Kim Park Sharma García Okafor Novak Müller Rossi Silva Tanaka Chen Nguyen Patel Haddad Kowalski Dubois "
    "Jensen Costa Ivanova Moreau Schmidt Yilmaz Andersson Fischer Lopez Wright Murphy Iyer Khan Sato Brown "
    "Walker Reyes Santos Bauer Lindqvist Mensah Adeyemi Ortiz Huang Becker Varga Kaur Rao Petrov Hoffmann "
    "Nakamura Ali Fernandes Horvat Quispe Olsen Demir Rahman Lund Vogel Byrne Castro Marin"
).split()

# (zone, weight): several with daylight saving time, and Asia/Kolkata (UTC+05:30, no DST).
TIMEZONES = (
    ("America/New_York", 30),
    ("America/Los_Angeles", 14),
    ("Europe/London", 18),
    ("Europe/Berlin", 10),
    ("Asia/Kolkata", 16),
    ("Australia/Sydney", 6),
    ("America/Sao_Paulo", 6),
)
TITLES = ("SRE", "Software Engineer", "Senior Engineer", "Staff Engineer", "Engineering Manager",
          "Platform Engineer", "Support Engineer", "Product Manager", "Security Engineer")

SERVICES = (
    "checkout-api", "payments-gateway", "search", "auth-service", "notifications", "orders-db", "cdn-edge",
    "inventory", "billing-worker", "mobile-bff", "recommendations", "kafka-cluster", "data-pipeline",
    "web-frontend", "identity-provider",
)
TEAMS = ("Payments", "Core Platform", "Growth", "Data", "Identity")

SYMPTOMS = (
    "elevated 5xx errors", "p99 latency above 2s", "error rate spike", "degraded performance",
    "requests timing out", "high memory usage", "queue backlog growing", "partial outage",
    "certificate expiry", "replication lag", "failed deploys", "intermittent 502s", "disk almost full",
    "login failures", "stale cache responses", "dropped webhooks",
)
INCIDENT_ADJECTIVES = "teal amber crimson silver quiet brave rapid lucky misty golden".split()
INCIDENT_ANIMALS = "ostrich otter falcon lynx badger heron panda gecko walrus marmot".split()

MESSAGES = (
    "Looking into it now", "I can reproduce this", "Seeing the same on my side", "Checking the dashboards",
    "Error rate is back to normal", "Rolling back the last deploy", "Rollback complete, monitoring",
    "Paging the database on-call", "Customer support is getting tickets about this",
    "Latency graph attached", "I think it's the config change from this morning",
    "Can someone check the load balancer?", "Scaling up the worker pool", "Cache hit ratio dropped to 40%",
    "Restarting the affected pods", "Status page updated", "Opened a ticket with the vendor",
    "Traffic shifted to the secondary region", "Looks stable for the last 15 minutes",
    "Let's keep monitoring for another half hour", "Who owns this service?", "Joining the call",
    "Mitigation is in place", "Root cause looks like a connection pool exhaustion",
    "Added more logging to narrow it down", "Alert resolved in Datadog", "Sharing my screen on the call",
    "Next update in 30 minutes", "The fix is deploying now", "Canary looks healthy",
    "I'll write up the timeline for the post-mortem", "Thanks everyone, great work",
    "Error budget burn is high this week", "Confirmed with the customer that it works again",
    "Can we get a second pair of eyes on the migration?", "Disk usage back under 70%",
)
REPLIES = (
    "+1", "ack", "On it", "Good catch", "Agreed", "Done", "Yes, same here", "Not yet, give me 5 minutes",
    "Confirmed", "That matches what I see", "Will do", "Thanks!", "Looks good to me", "Checking now",
)
UPDATE_MESSAGES = (
    "We're investigating the issue.", "We've identified the cause and are working on a fix.",
    "A fix has been deployed and we're monitoring.", "The incident is resolved.",
    "Impact is limited to a subset of customers.", "Severity changed after new information.",
)
FOLLOW_UP_TITLES = (
    "Add alerting on connection pool saturation", "Write a runbook for the failover",
    "Increase test coverage for the config loader", "Automate the rollback procedure",
    "Review capacity planning for Q-end", "Fix flaky health check", "Document the escalation path",
    "Add a circuit breaker to the payments client", "Tune the autoscaling thresholds",
)
ACTION_DESCRIPTIONS = (
    "Roll back the deploy", "Notify customer support", "Update the status page", "Scale up the database",
    "Contact the vendor", "Disable the feature flag", "Purge the CDN cache",
)
