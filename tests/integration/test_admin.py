"""The operators' admin command, against a table on moto, through the service layer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack.ses_tenants import LocalTenants
from tenx_email import admin
from tenx_email.dal import tenancy as store
from tenx_email.models import HandleStatus
from tenx_email.roles import Role
from tests.conftest import TABLE_NAME


def run(*argv: str) -> int:
    return admin.main(["--table", TABLE_NAME, "--stage", "test", *argv])


def test_an_operator_sets_up_a_tenant_from_scratch(
    local_ses_tenants: LocalTenants, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("create-account", "--account-id", "acc_new", "--name", "New Co") == 0
    assert run("create-handle", "--handle", "newco", "--account-id", "acc_new") == 0
    assert run("grant", "--handle", "newco", "--sub", "user_a", "--role", "OWNER") == 0
    assert (
        run("register-campaign", "--handle", "newco", "--campaign-id", "cmp_x", "--name", "X") == 0
    )
    assert run("attach-domain", "--account-id", "acc_new", "--domain", "newco.example") == 0

    handle, membership = store.get_handle_and_membership("newco", "user_a")
    assert handle is not None
    assert handle.status is HandleStatus.ACTIVE
    assert membership is not None
    assert membership.role is Role.OWNER
    assert store.get_campaign("newco", "cmp_x") is not None
    printed = capsys.readouterr().out
    assert '"status": "READY"' in printed
    # The handle came with its SES tenant; the domain attached after it is associated too.
    assert handle.ses_tenant == "tenx-test_newco"
    associated = local_ses_tenants.tenants["tenx-test_newco"].resources
    assert {arn.rsplit(":", 1)[1] for arn in associated} == {
        "configuration-set/tenx-email-test",
        "identity/newco.example",
    }
    # A handle made before SES tenants gets one (and a repeat changes nothing).
    store.put_handle(handle.model_copy(update={"handle": "oldco", "ses_tenant": None}))
    assert run("create-ses-tenant", "--handle", "oldco") == 0
    assert run("create-ses-tenant", "--handle", "oldco") == 0
    assert (store.get_handle("oldco") or handle).ses_tenant == "tenx-test_oldco"
    assert len(local_ses_tenants.tenants["tenx-test_oldco"].resources) == 2


@pytest.mark.usefixtures("aws", "local_ses_tenants")
def test_deactivate_activate_and_revoke_change_what_is_stored() -> None:
    run("create-account", "--account-id", "acc_new", "--name", "New Co")
    run("create-handle", "--handle", "newco", "--account-id", "acc_new")
    run("grant", "--handle", "newco", "--sub", "user_a", "--role", "OPERATOR")

    assert run("deactivate-handle", "--handle", "newco") == 0
    assert store.get_handle("newco").status is HandleStatus.INACTIVE  # type: ignore[union-attr]
    assert run("activate-handle", "--handle", "newco") == 0
    assert store.get_handle("newco").status is HandleStatus.ACTIVE  # type: ignore[union-attr]
    assert run("revoke", "--handle", "newco", "--sub", "user_a") == 0
    assert store.get_handle_and_membership("newco", "user_a")[1] is None


@pytest.mark.usefixtures("aws", "local_ses_tenants")
@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["create-handle", "--handle", "orphan", "--account-id", "acc_missing"], "not_found"),
        (["create-handle", "--handle", "Bad#Handle", "--account-id", "acc_x"], "invalid_request"),
        (["grant", "--handle", "nohandle", "--sub", "user_a", "--role", "OWNER"], "not_found"),
        (["deactivate-handle", "--handle", "nohandle"], "not_found"),
        (["create-account", "--account-id", "no-prefix", "--name", "X"], "invalid_request"),
    ],
)
def test_refused_changes_exit_2_with_the_error_code(
    argv: list[str], code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(*argv) == 2
    assert json.loads(capsys.readouterr().err)["error"] == code


@pytest.mark.usefixtures("aws", "local_ses_tenants")
def test_creating_an_existing_account_or_handle_twice_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run("create-account", "--account-id", "acc_a", "--name", "A") == 0
    assert run("create-account", "--account-id", "acc_a", "--name", "A again") == 2
    assert run("create-handle", "--handle", "aaa", "--account-id", "acc_a") == 0
    assert run("create-handle", "--handle", "aaa", "--account-id", "acc_a") == 2
    assert capsys.readouterr().err.count("already_exists") == 2


def test_local_mode_points_at_the_local_stack_from_its_state_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the local stack's state where LOCAL_STATE_DIR says, as the stack writes it
    monkeypatch.setenv("LOCAL_STATE_DIR", str(tmp_path))
    state = tmp_path / "stack.json"
    aws = {
        "endpointUrl": "http://127.0.0.1:3001",
        "region": "us-east-1",
        "tableName": "t",
        "stage": "local",
    }
    state.write_text(json.dumps({"aws": aws}))
    arguments = admin._parser().parse_args(["--local", "revoke", "--handle", "h", "--sub", "s"])
    environment = admin._target_environment(arguments)
    assert environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:3001"
    assert (environment["TABLE_NAME"], environment["STAGE"]) == ("t", "local")
