"""The signing authority over HTTP: device enrolment, the root certificate and the CRL.

POST /api/v1/devices/certificate (bearer): a laptop's certificate request -> its device
certificate, the chain, the CRL and the evidence key (fieldapp.protocol.signing).
GET /api/v1/pki/root.pem and GET /api/v1/pki/crl: public, as certificates and CRLs are.
"""

from __future__ import annotations

from cryptography.x509 import load_der_x509_crl
from fastapi import APIRouter, Response

from fieldapp.core.errors import BadInput
from fieldapp.core.timeutil import utcnow
from fieldapp.documents import pki
from fieldapp.protocol.signing import EnrolRequest, EnrolResponse
from fieldapp.server.deps import PrincipalDep, SessionDep, SettingsDep
from fieldapp.server.errors import ApiError
from fieldapp.server.openapi import SIGNED_IN, WITH_BODY, errors
from fieldapp.server.services import signing

router = APIRouter(prefix="/api/v1", tags=["signing"])


def _authority(session: SessionDep, settings: SettingsDep) -> signing.Authority:
    if not signing.exists(session):
        raise ApiError("no_authority", "this server has no signing CA yet (fieldapp server ca init)", status=409)
    try:
        return signing.open_authority(session, signing.passphrase(settings))
    except BadInput:
        raise ApiError("no_authority", "the server's signing CA cannot be opened now", status=503) from None


@router.post("/devices/certificate", response_model=EnrolResponse,
             responses=errors(*SIGNED_IN, *WITH_BODY, 409, 503))
def enrol(body: EnrolRequest, session: SessionDep, principal: PrincipalDep, settings: SettingsDep) -> EnrolResponse:
    authority = _authority(session, settings)
    cert = signing.enrol_device(session, authority, principal.user, principal.token.device,
                                body.csr_pem.encode("ascii", "replace"), url=signing.crl_url(settings))
    crl = load_der_x509_crl(signing.current_crl(session, authority))
    return EnrolResponse(certificate_pem=pki.cert_to_pem(cert).decode("ascii"),
                         chain_pem=pki.cert_to_pem(authority.root).decode("ascii"),
                         crl_pem=pki.crl_to_pem(crl).decode("ascii"),
                         evidence_key_pem=signing.evidence_public_key(session).decode("ascii"),
                         server_time=utcnow())


@router.get("/pki/root.pem", response_class=Response,
            responses={200: {"content": {"application/x-pem-file": {}}}, **errors(404, 422, 426)})
def root(session: SessionDep) -> Response:
    if not signing.exists(session):
        raise ApiError("not_found", "this server has no signing CA yet")
    return Response(pki.cert_to_pem(signing.root_certificate(session)), media_type="application/x-pem-file")


@router.get("/pki/crl", response_class=Response,
            responses={200: {"content": {"application/pkix-crl": {}}}, **errors(409, 422, 426, 503)})
def crl(session: SessionDep, settings: SettingsDep) -> Response:
    data = signing.current_crl(session, _authority(session, settings))
    return Response(data, media_type="application/pkix-crl", headers={"Cache-Control": "max-age=300"})
