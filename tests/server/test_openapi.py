"""The OpenAPI description tells the truth: every error is an ErrorBody, each route lists the
status codes it can answer, the version header is the enum of versions spoken. A bounded
schemathesis run against the live server, signed in, finds no 5xx and no answer that
breaks the schema."""

from __future__ import annotations

import collections

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fieldapp.server.testing import LiveServer

from .kit import Api, add_case, item, make_people, visit_payload

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
MAX_EXAMPLES = 8  # per operation (plus schemathesis' own boundary cases): about a minute per database


@pytest.fixture(scope="module")
def fuzz_world(module_db_url):
    """A live server with both teams, a case and a visit with an attachment; an agent, a
    lead and an administrator signed in."""
    with LiveServer(module_db_url, upgrade_db=False) as live:
        with live.session() as s, s.begin():
            make_people(s)
            case_id = add_case(s, "F-1", "agent1")
        apis = {name: Api(live.url, name) for name in ("agent1", "lead1", "admin")}
        sha = apis["agent1"].upload(b"fuzz evidence")
        apis["agent1"].push(item(case_id, visit_payload(case_id), attachments=[sha]))
        tokens = {name: api.client.headers["Authorization"] for name, api in apis.items()}
        real = {"case_id": case_id, "sha256": sha, "external_id": "F-1", "username": "agent2",
                "device_id": apis["agent1"].device_id}
        yield {"live": live, "tokens": tokens, "real": real, "seen": collections.Counter()}
        for api in apis.values():
            api.close()


def _app_schema() -> dict:
    """The schema the server serves at /openapi.json (built from the app, no database)."""
    from fieldapp.server.app import create_app
    from fieldapp.server.settings import ServerSettings

    return create_app(ServerSettings.load(database_url="sqlite://")).openapi()


def _who(path: str) -> str:
    if path.startswith("/api/v1/admin"):
        return "admin"
    if path.startswith("/api/v1/lead"):
        return "lead1"
    return "agent1"


# Logout is left out: it would end the session under test (its own tests are in test_auth).
fuzzed = schemathesis.openapi.from_dict(_app_schema()).exclude(path="/api/v1/auth/logout")


@fuzzed.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_schemathesis_finds_no_5xx_and_no_schema_violation(case, fuzz_world):
    _aim(case, fuzz_world)
    token = fuzz_world["tokens"][_who(case.path)]
    response = case.call_and_validate(base_url=fuzz_world["live"].url, headers={"Authorization": token},
                                      checks=CHECKS)
    fuzz_world["seen"][(case.method, case.path, response.status_code)] += 1


def _aim(case, world) -> None:
    """Every other example uses ids that exist (and the signed-in laptop's device id), so
    the run reaches the code behind the look-ups, not only the 404s."""
    seen = world["seen"]
    if sum(seen.values()) % 2:
        return
    real = world["real"]
    for name in list(case.path_parameters or {}):
        if name in real and name != "username":
            case.path_parameters[name] = real[name]
    if isinstance(case.body, dict) and "device_id" in case.body and case.path == "/api/v1/sync/push":
        case.body["device_id"] = real["device_id"]


# No token: the public page behind the agreement's QR code, the SMS gateway's signed receipts,
# the probes, and the root certificate and CRL (public as certificates are).
NO_TOKEN = {"/api/v1/meta", "/verify/{sha256}", "/webhooks/sms", "/healthz", "/readyz",
            "/api/v1/pki/root.pem", "/api/v1/pki/crl"}
NOT_ERROR_BODY = {("/readyz", "503")}  # the readiness report names the failing checks


def test_errors_are_documented_as_error_bodies(fuzz_world):
    schema = httpx.get(fuzz_world["live"].url + "/openapi.json").json()
    assert schema == _app_schema()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            codes = {int(c) for c in op["responses"]}
            for code, response in op["responses"].items():
                if int(code) >= 400 and (path, code) not in NOT_ERROR_BODY:
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorBody"), (method, path, code)
            if path == "/api/v1/meta" or not path.startswith("/api/v1/"):
                continue
            header = [p for p in op["parameters"] if p["name"] == "x-fieldapp-api"]
            assert header and header[0]["schema"]["enum"] == ["1"], (method, path)
            assert {422, 426} <= codes, (method, path)
            if path != "/api/v1/auth/login" and path not in NO_TOKEN:
                assert 401 in codes and op["security"] == [{"HTTPBearer": []}], (method, path)
            if "requestBody" in op:
                assert {413, 422} <= codes, (method, path)
            if path.startswith(("/api/v1/admin", "/api/v1/lead", "/api/v1/cases")):
                assert 403 in codes, (method, path)
            if "{" in path and method != "put":
                assert 404 in codes, (method, path)
    login = schema["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"401", "429"} <= set(login) and "Retry-After" in login["429"]["headers"]
    assert "409" in schema["paths"]["/api/v1/sync/pull"]["get"]["responses"]


def test_the_run_reached_past_sign_in_and_validation(fuzz_world):
    """Not a run of refusals: most operations answered with success somewhere."""
    seen = fuzz_world["seen"]
    if not seen:
        pytest.skip("the schemathesis run did not happen in this session (-k)")
    ok = {(m, p) for (m, p, status) in seen if 200 <= status < 300}
    assert len(ok) >= 8, sorted(seen.items())
    assert sum(seen.values()) >= 100


def test_an_unknown_version_is_426_as_documented(fuzz_world):
    r = httpx.get(fuzz_world["live"].url + "/api/v1/sync/pull",
                  headers={"X-Fieldapp-Api": "2", "Authorization": fuzz_world["tokens"]["agent1"]})
    assert (r.status_code, r.json()["error"]) == (426, "incompatible_version")


