"""UNTP Digital Traceability Event credentials: the custody pillar's door for UNTP export.

A credential is built from custody events by :mod:`oresight.custody.untp_dte` and secured as a
VC-JOSE-COSE enveloped credential (compact JWS, Ed25519) by :mod:`oresight.custody.vc_jose`;
import from here. The usual flow::

    key = generate_issuer_key()
    credential = dte_credential(events, issuer_id="did:web:example.com", issuer_name="Example",
                                valid_from=now)
    token = envelope_credential(credential, private_key=key, kid="did:web:example.com#key-1")
    assert verify_enveloped_credential(token, public_key=key.public_key()) == credential
"""

from oresight.custody.untp_dte import (
    UNTP_DTE_CONTEXT,
    UNTP_DTE_VERSION,
    credential_id,
    dte_credential,
)
from oresight.custody.vc_jose import (
    EnvelopeError,
    envelope_credential,
    generate_issuer_key,
    jwk_thumbprint,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_jwk,
    public_key_pem,
    verify_enveloped_credential,
)

__all__ = [
    "UNTP_DTE_CONTEXT",
    "UNTP_DTE_VERSION",
    "EnvelopeError",
    "credential_id",
    "dte_credential",
    "envelope_credential",
    "generate_issuer_key",
    "jwk_thumbprint",
    "load_private_key",
    "load_public_key",
    "private_key_pem",
    "public_jwk",
    "public_key_pem",
    "verify_enveloped_credential",
]
