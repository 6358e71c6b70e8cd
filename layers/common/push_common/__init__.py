"""Shared package of tim-push-gateway (shipped as the Lambda layer)."""
