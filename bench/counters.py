"""Counting wrappers for the calls bench: AWS API calls, client creation, regex compiles, models."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

import botocore.client
import botocore.session
from pydantic import TypeAdapter
from pydantic._internal._model_construction import ModelMetaclass

_re_compiler: Any = getattr(re, "_compiler")  # noqa: B009  # private, but stable in 3.11+


@contextmanager
def _wrapped(owner: Any, name: str, on_call: Callable[[tuple[Any, ...]], None]) -> Iterator[None]:
    original = owner.__dict__[name]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        on_call(args)
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)
    try:
        yield
    finally:
        setattr(owner, name, original)


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """Counts, while active: `aws:<service>.<Operation>`, `boto3 clients created`,
    `regex compiled` (re's cache misses) and `pydantic models built`."""
    counts: Counter[str] = Counter()

    def api_call(args: tuple[Any, ...]) -> None:
        client, operation = args[0], args[1]
        counts[f"aws:{client.meta.service_model.service_name}.{operation}"] += 1

    def bump(key: str) -> Callable[[tuple[Any, ...]], None]:
        return lambda _: counts.update([key])

    with ExitStack() as stack:
        stack.enter_context(_wrapped(botocore.client.BaseClient, "_make_api_call", api_call))
        stack.enter_context(
            _wrapped(botocore.session.Session, "create_client", bump("boto3 clients created"))
        )
        stack.enter_context(_wrapped(_re_compiler, "compile", bump("regex compiled")))
        stack.enter_context(_wrapped(ModelMetaclass, "__new__", bump("pydantic models built")))
        stack.enter_context(_wrapped(TypeAdapter, "__init__", bump("pydantic models built")))
        yield counts


WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


def write_shape(operation: str, params: Mapping[str, Any]) -> tuple[Any, ...]:
    """What makes two DynamoDB writes the same work for the table: operation, table, expressions,
    the placeholders they use and what they return (not the values, which differ per push)."""
    return (
        operation,
        params.get("TableName"),
        params.get("UpdateExpression"),
        params.get("ConditionExpression"),
        tuple(sorted(params.get("ExpressionAttributeNames") or {})),
        tuple(sorted(params.get("ExpressionAttributeValues") or {})),
        params.get("ReturnValues"),
        params.get("ReturnValuesOnConditionCheckFailure"),
    )


@contextmanager
def dynamodb_writes() -> Iterator[list[tuple[Any, ...]]]:
    """The shape (`write_shape`) of every DynamoDB write made while active, in order."""
    shapes: list[tuple[Any, ...]] = []

    def api_call(args: tuple[Any, ...]) -> None:
        client, operation, params = args[0], args[1], args[2]
        if client.meta.service_model.service_name == "dynamodb" and operation in WRITES:
            shapes.append(write_shape(operation, params))

    with _wrapped(botocore.client.BaseClient, "_make_api_call", api_call):
        yield shapes
