"""Fixtures for the Python runtime loop's tests (runtimes_test.go)."""

import os


def echo(event, context):
    return {
        "event": event,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "handler": os.environ.get("_HANDLER"),
        "task_root": os.environ.get("LAMBDA_TASK_ROOT"),
        "cwd": os.getcwd(),
        "template_var": os.environ.get("FROM_TEMPLATE"),
        "home": os.environ.get("HOME"),
    }


def fail(event, context):
    raise ValueError("boom")


def unserializable(event, context):
    return object()
