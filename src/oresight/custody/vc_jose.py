"""Verifiable credentials enveloped in a compact JWS, and our own check of that envelope.

W3C "Securing Verifiable Credentials using JOSE and COSE" (VC-JOSE-COSE, section 3.1.1) secures a
credential by making the credential itself the payload of a JSON Web Signature (RFC 7515) whose
protected header says ``typ: vc+jwt`` and ``cty: vc``. oresight signs with Ed25519 under the JOSE
algorithm name ``EdDSA`` (RFC 8037, section 3.1) and writes the JWS compact serialisation
(RFC 7515, section 7.1): ``BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature)``.

The verifier accepts exactly what the signer writes and refuses everything else with an
:class:`EnvelopeError` that says what was expected and what was found: an algorithm other than
``EdDSA`` (``none`` above all), another ``typ`` or ``cty``, critical header extensions it does not
understand (RFC 7515, section 4.1.11), base64url that is padded or not in its one canonical
spelling (so that no two tokens carry the same signature), duplicate JSON member names, and a
signature that does not verify. The payload is parsed only after its signature has verified.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from oresight.core.errors import InvalidInput

JWS_ALGORITHM = "EdDSA"  # RFC 8037, section 3.1: EdDSA over the curve named by the key (Ed25519)
CREDENTIAL_TYP = "vc+jwt"  # VC-JOSE-COSE 3.1.1: application/vc+jwt, "application/" left out
CREDENTIAL_CTY = "vc"  # VC-JOSE-COSE 3.1.1: the payload is an application/vc credential
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"  # VC Data Model 2.0, section 4.3
ED25519_SIGNATURE_SIZE = 64  # RFC 8032, section 5.1.6
JWS_SEGMENTS = 3  # RFC 7515, section 7.1: header, payload, signature

# RFC 7515 section 2 "Base64url Encoding": the URL-safe alphabet, trailing '=' omitted.
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class EnvelopeError(InvalidInput):
    """An enveloped credential, or a key for one, that oresight refuses."""


def generate_issuer_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 key for signing credentials."""
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey, *, password: bytes | None = None) -> bytes:
    """``key`` as PKCS #8 PEM, encrypted with ``password`` when one is given."""
    encryption = BestAvailableEncryption(password) if password else NoEncryption()
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, encryption)


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    """``key`` as SubjectPublicKeyInfo PEM."""
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def load_private_key(pem: bytes, *, password: bytes | None = None) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM; :class:`EnvelopeError` for anything else."""
    try:
        key = load_pem_private_key(pem, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        # cryptography says "password was not given" / "bad decrypt" / "could not deserialize";
        # its text is kept but the exception type is ours.
        raise EnvelopeError(
            f"cannot read the private key PEM: {exc}", field="private key"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise EnvelopeError(
            f"expected an Ed25519 private key, found {type(key).__name__}", field="private key"
        )
    return key


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; :class:`EnvelopeError` for anything else."""
    try:
        key = load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise EnvelopeError(f"cannot read the public key PEM: {exc}", field="public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise EnvelopeError(
            f"expected an Ed25519 public key, found {type(key).__name__}", field="public key"
        )
    return key


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """The public key as a JWK (RFC 8037, section 2), for a DID document or a key set."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}


def jwk_thumbprint(key: Ed25519PublicKey) -> str:
    """The RFC 7638 thumbprint of the key's JWK: a stable ``kid`` where none is given."""
    jwk = public_jwk(key)
    # RFC 7638 section 3.2: the required members only, in lexicographic order, no whitespace.
    canonical = json.dumps(
        {name: jwk[name] for name in ("crv", "kty", "x")}, separators=(",", ":"), sort_keys=True
    )
    return b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515, section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, field: str) -> bytes:
    """Decode unpadded base64url, refusing any text that is not the canonical encoding."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise EnvelopeError(
            "expected unpadded base64url (A-Z a-z 0-9 - _), found other characters or length",
            field=field,
        )
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise EnvelopeError(f"invalid base64url: {exc}", field=field) from None
    # The last character may carry unused low bits; a second spelling of the same bytes would let
    # an altered token pass as the original one.
    if b64url_encode(data) != text:
        raise EnvelopeError("base64url is not in canonical form (stray trailing bits)", field=field)
    return data


def sign_compact(header: Mapping[str, Any], payload: bytes, key: Ed25519PrivateKey) -> str:
    """A JWS compact serialisation of ``payload`` under ``header``, signed with Ed25519.

    The caller chooses the header; :func:`envelope_credential` is the one to use for credentials.
    """
    encoded_header = b64url_encode(_json_bytes(header))
    signing_input = f"{encoded_header}.{b64url_encode(payload)}"
    signature = key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


def envelope_credential(
    credential: Mapping[str, Any], *, private_key: Ed25519PrivateKey, kid: str
) -> str:
    """The credential as a VC-JOSE-COSE enveloped credential: a compact JWS, ``typ`` ``vc+jwt``.

    ``kid`` names the verification key, typically a DID URL such as ``did:web:example.com#key-1``
    (or :func:`jwk_thumbprint`). The credential must be a VC 2.0 credential: its ``@context``
    starts with the VC 2.0 context and its ``type`` includes ``VerifiableCredential``.
    """
    if not isinstance(kid, str) or not kid.strip():
        raise EnvelopeError("expected a non-empty key id", field="kid")
    _require_credential(credential, field="credential")
    header = {"alg": JWS_ALGORITHM, "kid": kid, "typ": CREDENTIAL_TYP, "cty": CREDENTIAL_CTY}
    return sign_compact(header, _json_bytes(credential), private_key)


def verify_enveloped_credential(
    jws: str, *, public_key: Ed25519PublicKey, kid: str | None = None
) -> dict[str, Any]:
    """Check an enveloped credential's signature and header, and return the credential.

    When ``kid`` is given, the header must name that key. Raises :class:`EnvelopeError` (an
    :class:`InvalidInput`) saying which part is wrong and how.
    """
    if not isinstance(jws, str):
        raise EnvelopeError(f"expected a compact JWS string, found {type(jws).__name__}")
    if not jws.isascii():
        raise EnvelopeError("a compact JWS holds ASCII characters only; found others")
    segments = jws.split(".")
    if len(segments) != JWS_SEGMENTS:
        raise EnvelopeError(
            f"expected a compact JWS of {JWS_SEGMENTS} dot-separated parts "
            f"(header.payload.signature), found {len(segments)}"
        )
    encoded_header, encoded_payload, encoded_signature = segments
    header = _json_object(b64url_decode(encoded_header, field="header"), field="header")
    _check_header(header, kid)
    signature = b64url_decode(encoded_signature, field="signature")
    if len(signature) != ED25519_SIGNATURE_SIZE:
        raise EnvelopeError(
            f"expected an Ed25519 signature of {ED25519_SIGNATURE_SIZE} bytes, "
            f"found {len(signature)}",
            field="signature",
        )
    payload = b64url_decode(encoded_payload, field="payload")
    try:
        public_key.verify(signature, f"{encoded_header}.{encoded_payload}".encode("ascii"))
    except InvalidSignature:
        raise EnvelopeError(
            "the signature does not verify with the given public key: the credential was "
            "altered or signed with another key",
            field="signature",
        ) from None
    credential = _json_object(payload, field="payload")
    _require_credential(credential, field="payload")
    return credential


def _check_header(header: Mapping[str, Any], kid: str | None) -> None:
    alg = header.get("alg")
    if alg == "none":
        raise EnvelopeError(
            f"alg 'none' means an unsigned token, which is never accepted; expected "
            f"{JWS_ALGORITHM!r}",
            field="header.alg",
        )
    if alg != JWS_ALGORITHM:
        raise EnvelopeError(f"expected alg {JWS_ALGORITHM!r}, found {alg!r}", field="header.alg")
    if header.get("typ") != CREDENTIAL_TYP:
        raise EnvelopeError(
            f"expected typ {CREDENTIAL_TYP!r}, found {header.get('typ')!r}", field="header.typ"
        )
    if "cty" in header and header["cty"] != CREDENTIAL_CTY:
        raise EnvelopeError(
            f"expected cty {CREDENTIAL_CTY!r}, found {header['cty']!r}", field="header.cty"
        )
    if "crit" in header:
        # RFC 7515 4.1.11: a recipient that does not understand a critical extension must refuse.
        raise EnvelopeError(
            f"critical header extensions {header['crit']!r} are not supported", field="header.crit"
        )
    if "kid" in header and (not isinstance(header["kid"], str) or not header["kid"]):
        raise EnvelopeError(
            f"expected a key id string, found {header['kid']!r}", field="header.kid"
        )
    if kid is not None and header.get("kid") != kid:
        raise EnvelopeError(
            f"expected kid {kid!r}, found {header.get('kid')!r}", field="header.kid"
        )


def _require_credential(credential: object, *, field: str) -> None:
    """Refuse anything that is not a VC 2.0 credential object."""
    if not isinstance(credential, Mapping):
        raise EnvelopeError(
            f"expected a credential object, found {type(credential).__name__}", field=field
        )
    context = credential.get("@context")
    if not isinstance(context, list) or not context or context[0] != VC_V2_CONTEXT:
        raise EnvelopeError(
            f"expected @context to start with {VC_V2_CONTEXT!r}, found {context!r}",
            field=f"{field}.@context",
        )
    types = credential.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        raise EnvelopeError(
            f"expected type to include 'VerifiableCredential', found {types!r}",
            field=f"{field}.type",
        )


def _json_bytes(value: Mapping[str, Any]) -> bytes:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise EnvelopeError(f"cannot be written as JSON: {exc}") from None
    return text.encode("utf-8")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        repeated = sorted({name for name in names if names.count(name) > 1})
        # RFC 7515 4 / RFC 7519 4: a JWS with duplicate header names must be refused (or use the
        # last); refusing is the only choice that cannot be read two ways.
        raise ValueError(f"duplicate member names {repeated}")
    return dict(pairs)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _json_object(data: bytes, *, field: str) -> dict[str, Any]:
    try:
        value = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_refuse_constant,
        )
    except UnicodeDecodeError:
        raise EnvelopeError(
            "expected UTF-8 JSON, found bytes that are not UTF-8", field=field
        ) from None
    except (ValueError, RecursionError) as exc:
        raise EnvelopeError(f"expected a JSON object: {exc}", field=field) from None
    if not isinstance(value, dict):
        raise EnvelopeError(f"expected a JSON object, found {type(value).__name__}", field=field)
    return value
