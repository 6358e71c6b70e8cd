"""Logger and metrics created once; service name and namespace come from POWERTOOLS_* env.

Tracer is deliberately absent: it needs aws-xray-sdk (a cold-start cost and a layer-size cost);
the template enables active tracing, which records each invocation without the SDK.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
# The template sets the namespace; the fallback keeps a bare environment from failing every flush.
metrics = Metrics(namespace=os.getenv("POWERTOOLS_METRICS_NAMESPACE") or "TimPushGateway")


def count(name: str) -> None:
    """One CloudWatch EMF count (flushed by `@metrics.log_metrics` at the end of the invocation)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
