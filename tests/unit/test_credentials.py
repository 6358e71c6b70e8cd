"""Admin credentials from Secrets Manager (moto in-process): parsing, caching, failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws
from pydantic import ValidationError

from push_common import caches, clients
from push_common.credentials import AdminCredentials, get_admin_credentials
from push_common.errors import DependencyUnavailable, GatewayError, SecretInvalid

SECRET_ID = "tim-push-gateway/admin"
KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
GOOD = {"sdkappid": 1400000000, "identifier": "administrator", "key": KEY}


@pytest.fixture(scope="module")
def _moto_secrets() -> Iterator[Any]:
    # One mock for the module (starting moto costs far more than a test); reset per test below.
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="ap-southeast-1")


@pytest.fixture
def secrets_manager(_moto_secrets: Any) -> Iterator[Any]:
    yield _moto_secrets
    _moto_secrets.delete_secret(SecretId=SECRET_ID, ForceDeleteWithoutRecovery=True)


def store(client: Any, value: object) -> None:
    text = value if isinstance(value, str) else json.dumps(value)
    try:
        client.put_secret_value(SecretId=SECRET_ID, SecretString=text)
    except client.exceptions.ResourceNotFoundException:
        client.create_secret(Name=SECRET_ID, SecretString=text)


def test_reads_the_secret(secrets_manager: Any) -> None:
    store(secrets_manager, GOOD)
    creds = get_admin_credentials()
    assert (creds.sdkappid, creds.identifier, creds.key.get_secret_value()) == (
        1400000000,
        "administrator",
        KEY,
    )


def test_extra_fields_in_the_secret_are_ignored(secrets_manager: Any) -> None:
    store(secrets_manager, {**GOOD, "note": "rotated 2026-01"})
    assert get_admin_credentials().identifier == "administrator"


def test_value_is_cached_within_max_age(secrets_manager: Any) -> None:
    store(secrets_manager, GOOD)
    get_admin_credentials()
    store(secrets_manager, {**GOOD, "identifier": "admin2"})
    assert get_admin_credentials().identifier == "administrator"


def test_force_refresh_rereads(secrets_manager: Any) -> None:
    store(secrets_manager, GOOD)
    get_admin_credentials()
    store(secrets_manager, {**GOOD, "identifier": "admin2"})
    assert get_admin_credentials(force_refresh=True).identifier == "admin2"


def test_max_age_comes_from_settings(secrets_manager: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_MAX_AGE_SECONDS", "0")
    caches.clear_all()
    store(secrets_manager, GOOD)
    get_admin_credentials()
    store(secrets_manager, {**GOOD, "identifier": "admin2"})
    assert get_admin_credentials().identifier == "admin2"


def test_clear_all_forgets_the_cached_secret(secrets_manager: Any) -> None:
    store(secrets_manager, GOOD)
    get_admin_credentials()
    store(secrets_manager, {**GOOD, "identifier": "admin2"})
    caches.clear_all()
    assert get_admin_credentials().identifier == "admin2"


def test_missing_secret_is_secret_invalid(secrets_manager: Any) -> None:
    with pytest.raises(SecretInvalid) as caught:
        get_admin_credentials()
    problem = caught.value.to_problem()
    assert (problem["status"], problem["code"]) == (500, "secret_invalid")
    assert "ResourceNotFoundException" in problem["detail"]


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("not json " + KEY, "not a JSON object"),
        (json.dumps([KEY]), "not a JSON object"),
        ({**GOOD, "sdkappid": "01400000000"}, "sdkappid"),
        ({**GOOD, "sdkappid": 1400000000.0}, "sdkappid"),
        ({**GOOD, "sdkappid": 0}, "sdkappid"),
        ({**GOOD, "sdkappid": True}, "sdkappid"),
        ({**GOOD, "identifier": ""}, "identifier"),
        ({"sdkappid": 1400000000, "key": KEY}, "identifier (missing)"),
        ({**GOOD, "key": ""}, "key"),
        ({**GOOD, "key": 1234567}, "key"),
    ],
)
def test_malformed_secret_names_the_problem_not_the_value(
    secrets_manager: Any, value: object, named: str
) -> None:
    store(secrets_manager, value)
    with pytest.raises(SecretInvalid) as caught:
        get_admin_credentials()
    rendered = json.dumps(caught.value.to_problem())
    assert named in caught.value.detail
    assert KEY not in rendered and "1234567" not in rendered and "01400000000" not in rendered


class FailingSecrets:
    """A Secrets Manager client whose every read fails with `cause` (as botocore raises it)."""

    def __init__(self, cause: Exception) -> None:
        self.cause = cause

    def get_secret_value(self, **_: Any) -> Any:
        raise self.cause


def client_error(code: str, http_status: int = 400) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": http_status},
    }
    return ClientError(response, "GetSecretValue")


@pytest.mark.parametrize(
    "cause",
    [
        client_error("ThrottlingException"),
        client_error("InternalServiceError", 500),
        client_error("SomethingNew", 503),
        EndpointConnectionError(endpoint_url="https://secretsmanager.ap-southeast-1.amazonaws.com"),
    ],
    ids=["throttled", "internal", "5xx", "endpoint"],
)
def test_transient_aws_failures_are_503(monkeypatch: pytest.MonkeyPatch, cause: Exception) -> None:
    monkeypatch.setattr(clients, "secretsmanager", lambda: FailingSecrets(cause))
    with pytest.raises(DependencyUnavailable) as caught:
        get_admin_credentials()
    assert (caught.value.status, caught.value.code, caught.value.retry_after) == (
        503,
        "secret_unavailable",
        1,
    )


@pytest.mark.parametrize(
    "cause", [client_error("AccessDeniedException"), client_error("DecryptionFailure")]
)
def test_permanent_aws_failures_are_500(monkeypatch: pytest.MonkeyPatch, cause: Exception) -> None:
    monkeypatch.setattr(clients, "secretsmanager", lambda: FailingSecrets(cause))
    with pytest.raises(GatewayError) as caught:
        get_admin_credentials()
    assert (caught.value.status, caught.value.code) == (500, "secret_invalid")


def test_repr_never_shows_the_key() -> None:
    creds = AdminCredentials(sdkappid=1, identifier="a", key=KEY)
    assert KEY not in repr(creds) and KEY not in str(creds)


def test_credentials_are_frozen() -> None:
    creds = AdminCredentials(sdkappid=1, identifier="a", key=KEY)
    with pytest.raises(ValidationError):
        creds.identifier = "b"  # type: ignore[misc]


def test_validation_errors_hide_the_input() -> None:
    with pytest.raises(ValidationError) as caught:
        AdminCredentials.model_validate({"sdkappid": "01400000000", "identifier": "a", "key": KEY})
    assert "01400000000" not in str(caught.value)


def test_a_binary_secret_is_not_a_json_object(secrets_manager: Any) -> None:
    secrets_manager.create_secret(Name=SECRET_ID, SecretBinary=json.dumps(GOOD).encode())
    with pytest.raises(SecretInvalid) as caught:
        get_admin_credentials()
    assert "not a JSON object" in caught.value.detail


def test_a_failed_read_is_not_cached(secrets_manager: Any) -> None:
    with pytest.raises(SecretInvalid):
        get_admin_credentials()  # not there yet
    store(secrets_manager, GOOD)
    assert get_admin_credentials().identifier == "administrator"
