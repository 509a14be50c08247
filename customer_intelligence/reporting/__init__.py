"""Reporting on builds and publications: audits, insights, alerts."""
