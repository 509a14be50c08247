"""Reporting: findings, alerts and publication helpers."""
"""Reporting on builds and publications: audits, insights, alerts."""
