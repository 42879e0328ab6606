"""Local only: SES tenants, which moto lacks (LocalSes registers these hooks with its own).

In memory: tenants, the resources associated with each, and each one's sending status.
CreateTenant, CreateTenantResourceAssociation and GetTenant answer as SES does, and a
SendEmail that names a tenant is refused as SES refuses it: SendingPausedException while the
tenant is DISABLED, BadRequestException when its identity or configuration set is not
associated with the tenant, NotFoundException for a tenant that does not exist. Anything else
goes on to moto. `set_sending_status` stands in for SES's reputation policy pausing a tenant
(and for its reinstatement).

The local stack keeps them in a file of its state directory, which `tenx-admin --local`
reads and writes through the same stand-in (the admin command runs in a process of its own);
tests keep them in memory.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

from devstack.environment import ACCOUNT_ID

_PARAMS = "local_ses_tenants_params"
STATUSES = ("ENABLED", "REINSTATED", "DISABLED")
STATE_FILE = "ses-tenants.json"
_Answer = tuple[AWSResponse, dict[str, Any]] | None


@dataclass
class _Tenant:
    name: str
    arn: str
    tenant_id: str
    created: datetime
    status: str = "ENABLED"
    resources: set[str] = field(default_factory=set)

    def shape(self) -> dict[str, Any]:
        return {
            "TenantName": self.name,
            "TenantId": self.tenant_id,
            "TenantArn": self.arn,
            "CreatedTimestamp": self.created,
            "SendingStatus": self.status,
        }

    def has(self, kind: str, name: str) -> bool:
        return any(arn.endswith(f":{kind}/{name}") for arn in self.resources)

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "created": self.created.isoformat(),
            "resources": sorted(self.resources),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Tenant:
        created, resources = datetime.fromisoformat(data["created"]), set(data["resources"])
        return cls(**{**data, "created": created, "resources": resources})


def _answer(status: int, parsed: dict[str, Any]) -> _Answer:
    metadata = {"ResponseMetadata": {"HTTPStatusCode": status}}
    return AWSResponse("", status, HTTPHeaders(), None), {**parsed, **metadata}


def _ok(parsed: dict[str, Any]) -> _Answer:
    return _answer(200, parsed)


def _error(code: str, message: str) -> _Answer:
    return _answer(400, {"Error": {"Code": code, "Message": message}})


class LocalTenants:
    def __init__(self, path: Path | None = None) -> None:
        """`path`: the file that keeps the tenants (None: memory only)."""
        self._path = path
        self.tenants: dict[str, _Tenant] = {}
        answers: dict[str, Callable[[dict[str, Any], str], _Answer]] = {
            "CreateTenant": self._create,
            "CreateTenantResourceAssociation": self._associate,
            "GetTenant": self._get,
            "SendEmail": self._send,
        }
        self.hooks: list[tuple[str, Callable[..., Any]]] = []
        for operation, answer in answers.items():
            self.hooks += [
                (f"before-parameter-build.sesv2.{operation}", self._remember),
                (f"before-call.sesv2.{operation}", self._answering(answer)),
            ]

    def set_sending_status(self, name: str, status: str) -> None:
        """What SES's reputation policy does to a tenant (DISABLED), or its reinstatement."""
        if status not in STATUSES:
            raise ValueError(f"a tenant's sending status is one of {STATUSES}")
        self._load()
        if name not in self.tenants:
            raise KeyError(f"no tenant {name}")
        self.tenants[name].status = status
        self._save()

    def _load(self) -> None:
        if self._path is not None and self._path.exists():
            stored = json.loads(self._path.read_text())
            self.tenants = {name: _Tenant.from_json(data) for name, data in stored.items()}

    def _save(self) -> None:
        if self._path is not None:
            stored = {name: tenant.to_json() for name, tenant in self.tenants.items()}
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._path.write_text(json.dumps(stored, indent=2))

    @staticmethod
    def _remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = dict(params)

    def _answering(
        self, answer: Callable[[dict[str, Any], str], _Answer]
    ) -> Callable[..., _Answer]:
        def before_call(context: dict[str, Any], **_: Any) -> _Answer:
            self._load()
            answered = answer(context.get(_PARAMS, {}), str(context.get("client_region")))
            self._save()
            return answered

        return before_call

    def _create(self, params: dict[str, Any], region: str) -> _Answer:
        name = params["TenantName"]
        if name in self.tenants:
            return _error("AlreadyExistsException", f"tenant {name} already exists")
        tenant_id = f"tn-{uuid.uuid4().hex[:16]}"
        tenant = _Tenant(
            name=name,
            arn=f"arn:aws:ses:{region}:{ACCOUNT_ID}:tenant/{name}/{tenant_id}",
            tenant_id=tenant_id,
            created=datetime.now(UTC),
        )
        self.tenants[name] = tenant
        return _ok(tenant.shape())

    def _associate(self, params: dict[str, Any], _region: str) -> _Answer:
        tenant = self.tenants.get(params["TenantName"])
        if tenant is None:
            return _error("NotFoundException", f"tenant {params['TenantName']} does not exist")
        if params["ResourceArn"] in tenant.resources:
            return _error("AlreadyExistsException", "the resource is associated already")
        tenant.resources.add(params["ResourceArn"])
        return _ok({})

    def _get(self, params: dict[str, Any], _region: str) -> _Answer:
        tenant = self.tenants.get(params["TenantName"])
        if tenant is None:
            return _error("NotFoundException", f"tenant {params['TenantName']} does not exist")
        return _ok({"Tenant": tenant.shape()})

    def _send(self, params: dict[str, Any], _region: str) -> _Answer:
        name = params.get("TenantName")
        if name is None:
            return None
        tenant = self.tenants.get(name)
        if tenant is None:
            return _error("NotFoundException", f"tenant {name} does not exist")
        if tenant.status == "DISABLED":
            return _error("SendingPausedException", f"sending is paused for tenant {name}")
        address = parseaddr(params["FromEmailAddress"])[1]
        identity_ok = tenant.has("identity", address) or tenant.has(
            "identity", address.rpartition("@")[2]
        )
        if not identity_ok or not tenant.has("configuration-set", params["ConfigurationSetName"]):
            return _error("BadRequestException", f"a resource is not associated with tenant {name}")
        return None
