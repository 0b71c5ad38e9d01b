"""Celery task for the dashboard: a thin wrapper around the daily counts service."""

from __future__ import annotations

from celery import shared_task

from dashboard import services


@shared_task(name="dashboard.tasks.aggregate")
def aggregate() -> None:
    """Every DASHBOARD_AGGREGATE_SECONDS (beat): today's and yesterday's counts, rewritten."""
    services.daily_counts_refresh()
