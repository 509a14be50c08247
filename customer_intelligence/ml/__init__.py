"""Machine-learning building blocks: BTYD models (btyd), earned segment names (naming), churn drivers (drivers)."""
