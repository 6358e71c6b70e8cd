"""Edge adapters: the only modules of the package that know API Gateway / EventBridge shapes."""
