# The local cloud's Python runtime: the Lambda Runtime API loop of AWS's
# python runtimes, for a handler given as _HANDLER=module.function (module
# may be a path: dir/module.function) under LAMBDA_TASK_ROOT.
import importlib
import json
import os
import sys
import time
import traceback
import urllib.request

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/"


def post(path, body):
    req = urllib.request.Request(API + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()


def error_body(exc, error_type=None):
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:]),
    }


class Context:
    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        cc = headers.get("Lambda-Runtime-Client-Context")
        self.client_context = json.loads(cc) if cc else None
        ci = headers.get("Lambda-Runtime-Cognito-Identity")
        self.identity = json.loads(ci) if ci else None

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def load_handler():
    spec = os.environ.get("_HANDLER", "")
    module_path, _, func = spec.rpartition(".")
    if not module_path or not func:
        raise ValueError("Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec)
    root = os.environ.get("LAMBDA_TASK_ROOT", ".")
    for p in (root, os.path.join(root, "python")):
        if p not in sys.path:
            sys.path.insert(0, p)
    try:
        module = importlib.import_module(module_path.replace("/", "."))
    except Exception as exc:
        raise _InitError(exc, "Runtime.ImportModuleError",
                         "Unable to import module '%s': %s" % (module_path, exc))
    fn = getattr(module, func, None)
    if fn is None:
        raise _InitError(None, "Runtime.HandlerNotFound",
                         "Handler '%s' missing on module '%s'" % (func, module_path))
    return fn


class _InitError(Exception):
    def __init__(self, cause, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def main():
    try:
        handler = load_handler()
    except _InitError as exc:
        print("[ERROR] %s: %s" % (exc.error_type, exc), flush=True)
        post("init/error", {"errorMessage": str(exc), "errorType": exc.error_type, "stackTrace": []})
        sys.exit(1)
    except Exception as exc:
        post("init/error", error_body(exc))
        sys.exit(1)
    while True:
        with urllib.request.urlopen(API + "invocation/next") as resp:
            headers = resp.headers
            event = json.loads(resp.read() or b"null")
        ctx = Context(headers)
        os.environ["_X_AMZN_TRACE_ID"] = headers.get("Lambda-Runtime-Trace-Id") or ""
        try:
            result = handler(event, ctx)
            body = json.dumps(result)
        except Exception as exc:
            print("[ERROR] %s: %s" % (type(exc).__name__, exc), flush=True)
            post("invocation/%s/error" % ctx.aws_request_id, error_body(exc))
            continue
        req = urllib.request.Request(API + "invocation/%s/response" % ctx.aws_request_id, data=body.encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req).read()


main()
