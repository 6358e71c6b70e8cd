"""Logger and metrics created once; service name and namespace come from POWERTOOLS_* env.

Tracer is deliberately absent: it needs aws-xray-sdk (a cold-start cost and a layer-size cost);
the template enables active tracing, which records each invocation without the SDK.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

# Handlers take these from here, so that their first import is push_common.coldstart
__all__ = [
    "LambdaContext",
    "correlation_paths",
    "count",
    "count_by",
    "gauge",
    "logger",
    "metrics",
    "timing",
]

logger = Logger()
# The template sets the namespace; the fallback keeps a bare environment from failing every flush.
metrics = Metrics(namespace=os.getenv("POWERTOOLS_METRICS_NAMESPACE") or "TimPushGateway")


def count(name: str) -> None:
    """One CloudWatch EMF count (flushed by `@metrics.log_metrics` at the end of the invocation)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def count_by(name: str, dimension: str, value: str) -> None:
    """One count with an extra dimension (e.g. the refusal `code`), emitted at once.

    Its own EMF record: dimensions of `metrics` apply to every metric of the invocation.
    """
    with single_metric(
        name=name, unit=MetricUnit.Count, value=1, namespace=metrics.namespace
    ) as metric:
        metric.add_dimension(name=dimension, value=value)


def gauge(name: str, value: float) -> None:
    """A measured level (e.g. slots used), flushed with the invocation's other metrics."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def timing(name: str, milliseconds: float) -> None:
    """A measured duration, flushed with the invocation's other metrics."""
    metrics.add_metric(name=name, unit=MetricUnit.Milliseconds, value=milliseconds)
