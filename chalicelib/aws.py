"""boto3 sessions and clients, cached per (account, region, service).

Clients honour boto3's own ``AWS_ENDPOINT_URL`` (an emulator such as moto's server)
without any switch in our code, and retry with botocore's adaptive mode. Member
accounts are reached through ``MONOCYTE_MEMBER_ROLE``; without it, only the account
of the current credentials is acted upon.
"""
from __future__ import annotations

import functools
import os
import threading
from typing import Any, Callable

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials

from chalicelib.config import Settings
from chalicelib.errors import AccessDenied, aws_errors


class _Paths(list):
    """boto3 appends its data directory to the loader's search paths on every new
    session; a shared loader keeps one copy."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


@functools.lru_cache(maxsize=None)
def _loader() -> botocore.loaders.Loader:
    """One botocore data loader for every session of the process. A fresh session
    re-reads and re-parses endpoints.json and each service model it touches (about
    0.2 s a session); the loader caches what it parsed, so sharing it makes a
    session per member account, or per call in a test, cost almost nothing."""
    loader = botocore.session.get_session().get_component("data_loader")
    loader._search_paths = _Paths(loader.search_paths)  # see _Paths
    return loader


def new_session(**credentials: Any) -> boto3.session.Session:
    """A session from the environment's credentials, or from ``credentials``
    (boto3.session.Session's keyword arguments); the seam tests replace."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader())
    return boto3.session.Session(botocore_session=core, **credentials)


class Clients:
    """Hands out boto3 clients; safe to share between threads."""

    def __init__(self, settings: Settings,
                 session_factory: Callable[[], boto3.session.Session] | None = None):
        self.settings = settings
        self._session_factory = session_factory or new_session
        self._lock = threading.RLock()
        self._sessions: dict[str, boto3.session.Session] = {}
        self._clients: dict[tuple[str | None, str, str], Any] = {}
        self._own_account: str | None = None
        self._regions: dict[str, list[str]] = {}
        self._regions_session: boto3.session.Session | None = None
        self._config = Config(
            # total_max_attempts counts the first try too (max_attempts would not).
            retries={"mode": "adaptive", "total_max_attempts": settings.max_attempts},
            connect_timeout=5, read_timeout=30,
            # An emulator on 127.0.0.1 has no bucket subdomains.
            s3={"addressing_style": "path"} if os.environ.get("AWS_ENDPOINT_URL") else None,
        )

    def own_account(self) -> str:
        """The account of the current credentials (one STS call, then cached)."""
        if self._own_account is None:
            with aws_errors():
                sts = self.client("sts", self.settings.home_region)
                self._own_account = sts.get_caller_identity()["Account"]
        return self._own_account

    def session(self, account: str | None = None) -> boto3.session.Session:
        """The session for ``account`` (None: ours); raises AccessDenied or AwsError
        when the member role cannot be assumed."""
        key = account or ""
        with self._lock:
            if key not in self._sessions:
                self._sessions[key] = self._new_session(account)
            return self._sessions[key]

    def _new_session(self, account: str | None) -> boto3.session.Session:
        if account is None:
            return self._session_factory()
        role = self.settings.member_role
        if account == self.own_account() and not role:
            return self.session(None)
        # With a member role, the central account too is acted on through it: the
        # Lambda's own policy holds no resource action (chalicelib.iam).
        if not role:
            raise AccessDenied(f"account {account} is not this account and "
                               "MONOCYTE_MEMBER_ROLE is not set")
        return self._assumed(f"arn:aws:iam::{account}:role/{role}")

    def assumed_session(self, role_arn: str) -> boto3.session.Session:
        """A session on another role (the organization's management role), cached."""
        with self._lock:
            if role_arn not in self._sessions:
                self._sessions[role_arn] = self._assumed(role_arn)
            return self._sessions[role_arn]

    def _assumed(self, role_arn: str) -> boto3.session.Session:
        """A session on the role's credentials, renewed by botocore before they
        expire (a long scan outlives one set)."""
        sts = self.client("sts", self.settings.home_region)

        def fetch() -> dict:
            with aws_errors():
                creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="monocyte")
            creds = creds["Credentials"]
            return {"access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"],
                    "token": creds["SessionToken"],
                    "expiry_time": creds["Expiration"].isoformat()}

        credentials = RefreshableCredentials.create_from_metadata(
            metadata=fetch(), refresh_using=fetch, method="sts-assume-role")
        session = self._session_factory()  # keeps the factory's event hooks
        session._session._credentials = credentials  # botocore's documented-by-use seam
        return session

    def available_regions(self, service: str) -> list[str]:
        """The regions botocore knows for ``service`` in the commercial partition."""
        if service not in self._regions:
            with self._lock:
                if self._regions_session is None:  # one session answers for every service
                    self._regions_session = self._session_factory()
                self._regions[service] = self._regions_session.get_available_regions(service)
        return self._regions[service]

    def client(self, service: str, region: str, account: str | None = None) -> Any:
        """A cached client for ``service`` in ``region`` of ``account`` (None: ours)."""
        key = (account, region, service)
        client = self._clients.get(key)
        if client is None:
            with self._lock:
                client = self._clients.get(key)
                if client is None:
                    session = self.session(account)
                    client = session.client(service, region_name=region, config=self._config)
                    self._clients[key] = client
        return client
