"""A minimal Lambda runtime for Python, for `jwtgate dev` only.

It speaks the Lambda Runtime API the way Amazon's Python runtime
(awslambdaric) does: import the handler once at init ("module.function",
module paths with dots or slashes, relative to LAMBDA_TASK_ROOT), report an
import failure to /runtime/init/error, then for each invocation call
handler(event, context) with the same context attributes and post the JSON
result, or the error as {"errorMessage", "errorType", "requestId",
"stackTrace"}. The emulator (aws-lambda-rie) runs it as the bootstrap:

    aws-lambda-rie python3 python_loop.py app.handler

Standard library only: the machine's python3 needs nothing installed.
"""

import importlib
import json
import os
import sys
import time
import traceback
import urllib.request

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"


class CognitoIdentity:
    """context.identity, as the Python runtime sets it."""

    def __init__(self, identity):
        self.cognito_identity_id = identity.get("cognitoIdentityId")
        self.cognito_identity_pool_id = identity.get("cognitoIdentityPoolId")


class LambdaContext:
    """The context object handlers get (awslambdaric's attribute names)."""

    def __init__(self, request_id, deadline_ms, arn, identity, client_context):
        self.aws_request_id = request_id
        self.invoked_function_arn = arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = CognitoIdentity(identity)
        self.client_context = client_context
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def post(path, body, headers=None):
    req = urllib.request.Request(API + path, data=body.encode(), method="POST",
                                 headers=dict(headers or {}, **{"Content-Type": "application/json"}))
    urllib.request.urlopen(req).read()


def error_body(exc, error_type=None, request_id=""):
    frames = traceback.format_list(traceback.extract_tb(exc.__traceback__))
    return json.dumps({
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": request_id,
        "stackTrace": frames,
    })


def load(handler):
    module_path, _, name = handler.rpartition(".")
    if not module_path or not name:
        raise ValueError("Bad handler '%s': not enough values to unpack (expected 2, got 1)" % handler)
    try:
        module = importlib.import_module(module_path.replace("/", "."))
    except Exception as exc:
        raise ImportError("Unable to import module '%s': %s" % (module_path, exc)) from exc
    try:
        return getattr(module, name)
    except AttributeError:
        raise AttributeError("Handler '%s' missing on module '%s'" % (name, module_path)) from None


def main():
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    sys.path.insert(0, task_root)
    handler_name = sys.argv[1] if len(sys.argv) > 1 else os.environ["_HANDLER"]
    try:
        handler = load(handler_name)
    except ImportError as exc:
        post("/init/error", error_body(exc, "Runtime.ImportModuleError"),
             {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"})
        sys.exit(1)
    except Exception as exc:
        post("/init/error", error_body(exc, "Runtime.HandlerNotFound"),
             {"Lambda-Runtime-Function-Error-Type": "Runtime.HandlerNotFound"})
        sys.exit(1)
    while True:
        with urllib.request.urlopen(API + "/invocation/next") as resp:
            headers = resp.headers
            event = json.loads(resp.read() or b"null")
        request_id = headers["Lambda-Runtime-Aws-Request-Id"]
        identity = json.loads(headers.get("Lambda-Runtime-Cognito-Identity") or "{}")
        client_context = json.loads(headers.get("Lambda-Runtime-Client-Context") or "null")
        context = LambdaContext(request_id, int(headers.get("Lambda-Runtime-Deadline-Ms", "0")),
                                headers.get("Lambda-Runtime-Invoked-Function-Arn"), identity, client_context)
        try:
            result = handler(event, context)
        except Exception as exc:
            post("/invocation/%s/error" % request_id, error_body(exc, request_id=request_id),
                 {"Lambda-Runtime-Function-Error-Type": "Unhandled"})
            continue
        try:
            body = json.dumps(result)
        except (TypeError, ValueError) as exc:
            exc = TypeError("Unable to marshal response: %s" % exc)
            post("/invocation/%s/error" % request_id, error_body(exc, "Runtime.MarshalError", request_id),
                 {"Lambda-Runtime-Function-Error-Type": "Runtime.MarshalError"})
            continue
        post("/invocation/%s/response" % request_id, body)


if __name__ == "__main__":
    main()
