"""The few exceptions Monocyte raises, and the one place AWS errors become them.

The reaper, the scan and the notifier never look inside a botocore ``ClientError``:
they catch these.
"""
from __future__ import annotations

import contextlib
import socket
from typing import Iterable, Iterator

from botocore.exceptions import (BotoCoreError, ClientError, EndpointConnectionError,
                                 UnknownEndpointError)
from botocore.parsers import ResponseParserError


class MonocyteError(Exception):
    """Base of everything Monocyte raises on purpose."""


class ConfigError(MonocyteError):
    """A setting is missing or wrong; nothing was changed."""


class EventError(MonocyteError):
    """An event cannot be read; nothing was changed."""


class AwsError(MonocyteError):
    """An AWS call failed in a way the caller reports but does not handle."""

    def __init__(self, message: str, code: str = "", operation: str = "",
                 retried: bool = False):
        super().__init__(message)
        self.code = code
        self.operation = operation
        # botocore had retried the call: an earlier attempt may have done the work
        # and lost its answer (a delete that then finds nothing to delete).
        self.retried = retried


class NotFound(AwsError):
    """The resource does not exist (any more): for a delete, that means done."""


class AccessDenied(AwsError):
    """The credentials may not make the call."""


class NotReady(AwsError):
    """The resource cannot be deleted yet (still creating, in use): retry later."""


class Protected(AwsError):
    """Termination or deletion protection refused the delete."""


class NotOffered(AwsError):
    """The region (or the endpoint, an emulator) does not offer the service: nothing
    there to find, which is not a failure."""


_ACCESS_DENIED = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
    "AuthorizationError", "UnrecognizedClientException", "InvalidClientTokenId",
    "AuthFailure", "OptInRequired", "ExpiredToken", "ExpiredTokenException",
})


def translate(error: ClientError, not_found: Iterable[str] = (),
              not_ready: Iterable[str] = (), protected: Iterable[str] = ()) -> AwsError:
    """Map a ClientError to one of our exceptions, by its modelled error code."""
    info = error.response.get("Error", {})
    code = str(info.get("Code", ""))
    operation = getattr(error, "operation_name", "") or ""
    message = f"{operation}: {code}: {info.get('Message', '')}".strip(": ")
    retried = bool(error.response.get("ResponseMetadata", {}).get("RetryAttempts"))
    if code == "UnknownEndpoint" or _html_server_error(error):
        return NotOffered(f"{operation}: not offered here", code, operation, retried)
    for codes, kind in ((not_found, NotFound), (not_ready, NotReady),
                        (protected, Protected), (_ACCESS_DENIED, AccessDenied)):
        if code in codes:
            return kind(message, code, operation, retried)
    return AwsError(message, code, operation, retried)


def _html_server_error(error: ClientError) -> bool:
    """A 5xx answered as an HTML page: an emulator (moto's server) that does not
    implement the service. AWS's APIs answer in XML or JSON, never a web page."""
    meta = error.response.get("ResponseMetadata", {})
    kind = str(meta.get("HTTPHeaders", {}).get("content-type", ""))
    return int(meta.get("HTTPStatusCode") or 0) >= 500 and kind.startswith("text/html")


def _no_such_host(error: EndpointConnectionError) -> bool:
    """The endpoint's host name does not resolve: AWS publishes no such endpoint
    (the service is not in that region). Any other connection failure is one."""
    cause = error.kwargs.get("error")
    for _ in range(5):  # urllib3's NameResolutionError, or a gaierror under it
        if cause is None:
            break
        if isinstance(cause, socket.gaierror) or type(cause).__name__ == "NameResolutionError":
            return True
        cause = cause.__cause__ or cause.__context__
    return False


@contextlib.contextmanager
def aws_errors(not_found: Iterable[str] = (), not_ready: Iterable[str] = (),
               protected: Iterable[str] = ()) -> Iterator[None]:
    """Run AWS calls, raising our exceptions instead of botocore's."""
    try:
        yield
    except ClientError as error:
        raise translate(error, not_found, not_ready, protected) from error
    except UnknownEndpointError as error:
        raise NotOffered(f"not offered here: {error}") from error
    except EndpointConnectionError as error:
        if _no_such_host(error):
            raise NotOffered(f"not offered here: no endpoint {error.kwargs.get('endpoint_url')}"
                             ) from error
        raise AwsError(f"{type(error).__name__}: {error}") from error
    except (BotoCoreError, ResponseParserError) as error:
        # Also an answer botocore cannot parse (an HTML error page from a proxy).
        raise AwsError(f"{type(error).__name__}: {error}") from error


# Cloud Control's error codes (botocore's cloudcontrol model), one place for the engine.
_CC_NOT_FOUND = ("ResourceNotFoundException", "RequestTokenNotFoundException")
_CC_NOT_READY = ("ResourceConflictException", "ConcurrentOperationException",
                 "NotStabilizedException", "ThrottlingException",
                 "ServiceInternalErrorException", "NetworkFailureException")


def cloud_control_errors() -> contextlib.AbstractContextManager[None]:
    """Run Cloud Control calls: not found, busy (retry later) or another AwsError."""
    return aws_errors(not_found=_CC_NOT_FOUND, not_ready=_CC_NOT_READY)
