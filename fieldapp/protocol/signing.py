"""Wire types of the document-signing endpoints (API version 1), shared by client and server.

Endpoints
- POST /api/v1/devices/certificate  (bearer)  EnrolRequest -> EnrolResponse
      The laptop sends a certificate signing request for the EC P-256 key it made and keeps;
      the server answers with the device certificate (naming the agent, the device id and
      the institution), the root, the current CRL and the evidence key that handwriting data
      is encrypted to. 409 `no_authority` when the server has no signing CA yet.
- GET  /api/v1/pki/root.pem          (public)  the root certificate (PEM)
- GET  /api/v1/pki/crl               (public)  the current revocation list (DER)
- GET  /verify/{sha256}[?format=json] (public) the document page: authentic | unknown | revoked
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from fieldapp.protocol.v1 import Wire

PEM_MAX = 8192


class EnrolRequest(Wire):
    csr_pem: str = Field(min_length=100, max_length=PEM_MAX)


class EnrolResponse(Wire):
    certificate_pem: str = Field(max_length=PEM_MAX)
    chain_pem: str = Field(max_length=4 * PEM_MAX)          # the root (and any intermediates)
    crl_pem: str = Field(max_length=4_000_000)
    evidence_key_pem: str = Field(max_length=PEM_MAX)       # X25519 public key (SubjectPublicKeyInfo)
    server_time: AwareDatetime


DocumentState = Literal["authentic", "unknown", "revoked"]


class DocumentStatus(Wire):
    """What /verify/{sha256} says about a document hash; no personal data."""

    sha256: str
    status: DocumentState
    kind: Literal["agreement", "visit_report"] | None = None
    received_at: AwareDatetime | None = None   # the server's receipt time (its own clock)
    message: str
    server_time: AwareDatetime
