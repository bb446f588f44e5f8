"""Developer tools for stoppress: the CLI, the local stack, a local push service.

Nothing here ships in the Lambda layer.
"""
