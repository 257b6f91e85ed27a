"""Celery tasks of the trust app: the daily anchors."""

from __future__ import annotations

from celery import shared_task

from trust.anchors import anchors_create_all


@shared_task(name="trust.anchor_all", acks_late=True)
def anchor_all() -> list[str]:
    return [str(anchor) for anchor in anchors_create_all()]
