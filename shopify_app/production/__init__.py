"""Production orders: the lifecycle rules, the models, and the service that is their only writer."""
