"""The Lambda context for a handler under test: the local stack's own, so both read the same."""

from stoppress_dev.lambda_events import LambdaContext


def lambda_context(
    function: str, *, memory_mb: int = 512, timeout_seconds: float = 30
) -> LambdaContext:
    """A fresh context for one invocation of ``function`` (its logical id in template.yaml).

    The defaults are the template's Globals; the remaining time counts down from
    ``timeout_seconds`` as it does in Lambda.
    """
    return LambdaContext(
        function_name=function,
        invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{function}",
        memory_limit_in_mb=memory_mb,
        timeout_seconds=timeout_seconds,
    )
