"""Logger and metrics created once; service name and namespace come from POWERTOOLS_* env.

Tracer is deliberately absent: it needs aws-xray-sdk (a cold-start cost and a layer-size cost);
the template enables active tracing, which records each invocation without the SDK.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()
