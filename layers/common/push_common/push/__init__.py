"""The push path: request model, validation, wire translation, quota and the push service."""
