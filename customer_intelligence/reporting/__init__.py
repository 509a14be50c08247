"""Reporting: findings, alerts and publication helpers."""
