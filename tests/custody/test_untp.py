"""UNTP Digital Traceability Event credentials: the mapping, its conformance, and the envelope.

Conformance: credentials made from events built here (all five types) and from every event of the
demo world validate against the latest DTE schema of tests-untp in ``../shared/data`` (skipped
when absent), with format checking on. Envelope: RFC 8037 vectors, sign/verify round trips, and
hostile tokens (bit flips, truncation, ``alg: none``, wrong ``typ``, wrong key) refused with
:class:`EnvelopeError`, never a library's own error.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from hypothesis import given
from hypothesis import strategies as st

from oresight.core.custody import (
    Action,
    BizTransaction,
    CustodyEvent,
    EventType,
    LotMasterData,
    QuantityElement,
    SourceDestination,
)
from oresight.core.errors import InvalidInput
from oresight.core.minerals import MaterialForm, Mineral
from oresight.custody.epcis import read_epcis_file
from oresight.custody.epcis_fields import parse_time
from oresight.custody.untp import (
    UNTP_DTE_CONTEXT,
    UNTP_DTE_VERSION,
    EnvelopeError,
    dte_credential,
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
from oresight.custody.vc_jose import b64url_decode, b64url_encode, sign_compact
from oresight.sim.demo import build_demo_world

DTE_SCHEMAS = (
    Path("traceability")
    / "untp"
    / "tests-untp"
    / "packages"
    / "untp-test-suite"
    / "src"
    / "schemas"
    / "digitalTraceabilityEvent"
)
ISSUER = "did:web:registry.oresight.example"
VALID_FROM = datetime(2024, 10, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))
T0 = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
ORE_LOT = "urn:epc:class:lgtin:6170201.026050.KSZ2400825"
CONCENTRATE_LOT = "urn:epc:class:lgtin:6170401.028220.HYD2400691"
SITE = "https://id.oresight.example/site/a-kasanza"
DEPOT = "urn:epc:id:sgln:6200501.00031.0"
PALLET = "urn:epc:id:sscc:6200501.0000000608"
SEAL = "urn:epc:id:giai:6200501.SEAL42"


def _event(event_id: str, kind: EventType, day: int, **fields: Any) -> CustodyEvent:
    return CustodyEvent(
        event_id=event_id,
        type=kind,
        event_time=T0 + timedelta(days=day),
        event_time_zone_offset="+02:00",
        **fields,
    )


def five_events() -> list[CustodyEvent]:
    """One event of each EPCIS type along a small cobalt chain, sensor data on one."""
    tonnes = QuantityElement(epc_class=ORE_LOT, quantity=29.16, uom="TNE")
    return [
        _event(
            "urn:uuid:00000000-0000-4000-8000-000000000001",
            EventType.OBJECT,
            0,
            action=Action.ADD,
            biz_step="commissioning",
            disposition="urn:epcglobal:cbv:disp:active",
            biz_location=SITE,
            quantity_list=(tonnes,),
            lot_master=LotMasterData(
                mineral=Mineral.COBALT, form=MaterialForm.ORE, grade_percent=2.1
            ),
            sensor_element_list=(
                {
                    "sensorMetadata": {
                        "time": "2024-03-01T08:00:00+02:00",
                        "deviceID": "urn:epc:id:giai:6200501.SCALE7",
                        "dataProcessingMethod": "https://example.org/method/weighbridge",
                    },
                    "sensorReport": [
                        {"type": "gs1:Mass", "value": 29160.0, "uom": "KGM"},
                        {"type": "gs1:Temperature", "stringValue": "warm"},
                    ],
                },
            ),
        ),
        _event(
            "urn:uuid:00000000-0000-4000-8000-000000000002",
            EventType.TRANSACTION,
            2,
            action=Action.ADD,
            biz_step="https://ref.gs1.org/cbv/BizStep-shipping",
            disposition="in_transit",
            read_point=DEPOT,
            quantity_list=(tonnes,),
            source_list=(
                SourceDestination(type="possessing_party", id="demo-lualaba-express"),
                SourceDestination(type="urn:epcglobal:cbv:sdt:owning_party", id="demo-comika"),
            ),
            destination_list=(SourceDestination(type="owning_party", id="demo-lualaba-negoce"),),
            biz_transaction_list=(
                BizTransaction(id="urn:epcglobal:cbv:bt:6170201000001:NOTE-1"),
                BizTransaction(type="inv", id="urn:epcglobal:cbv:bt:6170201000001:INV-275"),
            ),
        ),
        _event(
            "urn:uuid:00000000-0000-4000-8000-000000000003",
            EventType.TRANSFORMATION,
            5,
            biz_step="commissioning",
            biz_location=DEPOT,
            input_quantity_list=(tonnes,),
            output_quantity_list=(
                QuantityElement(epc_class=CONCENTRATE_LOT, quantity=2.5, uom="TNE"),
            ),
            output_epc_list=("urn:epc:id:sgtin:6200501.012345.1001",),
            lot_master=LotMasterData(
                mineral=Mineral.COBALT, form=MaterialForm.HYDROXIDE, grade_percent=30.5
            ),
        ),
        _event(
            "urn:uuid:00000000-0000-4000-8000-000000000004",
            EventType.AGGREGATION,
            6,
            action=Action.ADD,
            biz_step="packing",
            disposition="container_closed",
            biz_location=DEPOT,
            parent_id=PALLET,
            child_quantity_list=(
                QuantityElement(epc_class=CONCENTRATE_LOT, quantity=2.5, uom="TNE"),
            ),
        ),
        _event(
            "urn:uuid:00000000-0000-4000-8000-000000000005",
            EventType.ASSOCIATION,
            6,
            action=Action.ADD,
            biz_step="https://mining.example/steps/sealing",
            biz_location=DEPOT,
            parent_id=PALLET,
            child_epcs=(SEAL,),
        ),
    ]


def credential_for(events: list[CustodyEvent], **extra: Any) -> dict[str, Any]:
    return dte_credential(
        events,
        issuer_id=ISSUER,
        issuer_name="Oresight demo registry",
        valid_from=VALID_FROM,
        **extra,
    )


# Conformance with the UNTP DTE schema


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in path.name.removeprefix("v").split("."))


@pytest.fixture(scope="module")
def dte_schema_dir(shared_data: Path) -> Path:
    versions = [
        p for p in (shared_data / DTE_SCHEMAS).iterdir() if re.fullmatch(r"v[\d.]+", p.name)
    ]
    return max(versions, key=_version)


@pytest.fixture(scope="module")
def dte_validator(dte_schema_dir: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads((dte_schema_dir / "schema.json").read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    # PROVENANCE.md: the UNTP playground validates with formats off, which lets the samples' local
    # times through. Our credentials carry offsets, so formats are on here; jsonschema checks
    # "uri" and "date-time" only with optional packages, so two small checks stand in for them.
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or bool(
            re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:\S+", value)
        )

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        return not isinstance(value, str) or parse_time(value) is not None

    return jsonschema.Draft202012Validator(schema, format_checker=checker)


def _errors(validator: jsonschema.Draft202012Validator, instance: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


def test_the_latest_schema_is_the_version_we_write(dte_schema_dir: Path) -> None:
    assert dte_schema_dir.name == f"v{UNTP_DTE_VERSION}", (
        f"shared data has a newer UNTP DTE schema ({dte_schema_dir.name}); update untp_dte.py"
    )
    schema = json.loads((dte_schema_dir / "schema.json").read_text())
    assert schema["properties"]["@context"]["prefixItems"][1]["const"] == UNTP_DTE_CONTEXT


def test_all_five_event_types_validate(dte_validator: jsonschema.Draft202012Validator) -> None:
    credential = credential_for(five_events())
    assert _errors(dte_validator, credential) == []
    types = [subject["type"][0] for subject in credential["credentialSubject"]]
    assert types == [e.type.value for e in five_events()]
    assert sorted(types) == sorted(t.value for t in EventType)


def test_every_demo_world_event_validates(
    tmp_path: Path, dte_validator: jsonschema.Draft202012Validator
) -> None:
    manifest = build_demo_world(tmp_path)
    documents = [p for p in manifest.files if p.suffix == ".jsonld"]
    total = 0
    for path in documents:
        events = list(read_epcis_file(path).events)
        credential = credential_for(events)
        assert _errors(dte_validator, credential) == [], path.name
        assert [s["id"] for s in credential["credentialSubject"]] == [e.event_id for e in events]
        total += len(events)
    assert len(documents) == 11
    listed = sum(
        len(json.loads(p.read_text(encoding="utf-8"))["epcisBody"]["eventList"]) for p in documents
    )
    assert total == listed and total > 200


def test_the_schema_check_is_not_vacuous(dte_validator: jsonschema.Draft202012Validator) -> None:
    good = credential_for(five_events())
    breakages = {
        "issuer without name": lambda c: c["issuer"].pop("name"),
        "old context": lambda c: c["@context"].__setitem__(1, UNTP_DTE_CONTEXT.replace("6", "5")),
        "local validFrom": lambda c: c.__setitem__("validFrom", "2024-10-01T09:30:00"),
        "transaction without party": lambda c: c["credentialSubject"][1].pop("sourceParty"),
        "quantity without product name": lambda c: c["credentialSubject"][0]["quantityList"][0].pop(
            "productName"
        ),
        "event time not a time": lambda c: c["credentialSubject"][2].__setitem__(
            "eventTime", "yesterday"
        ),
        "item id not a URI": lambda c: c["credentialSubject"][3]["parentEPC"].__setitem__(
            "id", "pallet 608"
        ),
    }
    for name, breakage in breakages.items():
        bad = copy.deepcopy(good)
        breakage(bad)
        assert _errors(dte_validator, bad), name


# The mapping


def test_credential_envelope_fields() -> None:
    credential = credential_for(five_events())
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://test.uncefact.org/vocabulary/untp/dte/0.6.0/",
    ]
    assert credential["type"] == ["DigitalTraceabilityEvent", "VerifiableCredential"]
    assert credential["issuer"] == {
        "type": ["CredentialIssuer"],
        "id": ISSUER,
        "name": "Oresight demo registry",
    }
    assert credential["validFrom"] == "2024-10-01T09:30:00+02:00"
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", credential["id"])


def test_credential_id_is_deterministic() -> None:
    events = five_events()
    first = credential_for(events)["id"]
    assert credential_for(list(reversed(events)))["id"] == first
    assert credential_for(events[:4])["id"] != first
    other_issuer = dte_credential(
        events, issuer_id="https://other.example", issuer_name="Other", valid_from=VALID_FROM
    )
    assert other_issuer["id"] != first


def test_object_event_mapping() -> None:
    subject = credential_for(five_events())["credentialSubject"][0]
    assert subject["id"] == "urn:uuid:00000000-0000-4000-8000-000000000001"
    assert subject["eventTime"] == "2024-03-01T08:00:00+02:00"  # 06:00Z in the event's offset
    assert subject["action"] == "add"
    assert subject["bizStep"] == "https://ref.gs1.org/cbv/BizStep-commissioning"
    assert subject["disposition"] == "https://ref.gs1.org/cbv/Disp-active"  # from a CBV 1.x URN
    assert subject["bizLocation"] == SITE
    assert subject["quantityList"] == [
        {
            "type": ["QuantityElement"],
            "productId": ORE_LOT,
            "productName": "Cobalt ore, 2.1 % Co",
            "quantity": 29.16,
            "uom": "TNE",
        }
    ]
    assert "epcList" not in subject


def test_sensor_reports_with_numbers_are_kept() -> None:
    subject = credential_for(five_events())["credentialSubject"][0]
    assert subject["sensorElementList"] == [
        {
            "type": ["SensorElement"],
            "sensorMetadata": {
                "type": ["Sensor"],
                "device": {
                    "type": ["Item"],
                    "id": "urn:epc:id:giai:6200501.SCALE7",
                    "name": "urn:epc:id:giai:6200501.SCALE7",
                },
                "dataProcessingMethod": "https://example.org/method/weighbridge",
            },
            # The string-valued temperature report has no place in DTE SensorData.
            "sensorReport": [
                {
                    "type": ["SensorData"],
                    "time": "2024-03-01T08:00:00+02:00",
                    "sensorType": "https://gs1.org/voc/Mass",
                    "value": 29160.0,
                    "uom": "KGM",
                }
            ],
        }
    ]


def test_transaction_event_mapping() -> None:
    subject = credential_for(five_events())["credentialSubject"][1]
    assert subject["type"] == ["TransactionEvent", "Event"]
    assert subject["sourceParty"] == "demo-comika"  # the owner, not the carrier
    assert subject["destinationParty"] == "demo-lualaba-negoce"
    assert subject["bizTransaction"] == "https://ref.gs1.org/cbv/BTT-inv"
    assert subject["bizLocation"] == DEPOT  # no bizLocation: the read point stands in
    assert subject["bizStep"] == "https://ref.gs1.org/cbv/BizStep-shipping"


def test_transformation_and_parent_child_mapping() -> None:
    subjects = credential_for(five_events())["credentialSubject"]
    transformation, aggregation, association = subjects[2:]
    assert "action" not in transformation
    assert transformation["inputQuantityList"][0]["productName"] == "Cobalt ore, 2.1 % Co"
    assert transformation["outputQuantityList"][0]["productName"] == "Cobalt hydroxide, 30.5 % Co"
    assert transformation["outputEPCList"] == [
        {
            "type": ["Item"],
            "id": "urn:epc:id:sgtin:6200501.012345.1001",
            "name": "Cobalt hydroxide, 30.5 % Co",
        }
    ]
    assert aggregation["parentEPC"] == {"type": ["Item"], "id": PALLET, "name": PALLET}
    assert aggregation["childQuantityList"][0]["quantity"] == 2.5
    assert "childEPCList" not in aggregation
    assert association["bizStep"] == "https://mining.example/steps/sealing"  # company URI kept
    assert association["childEPCList"] == [{"type": ["Item"], "id": SEAL, "name": SEAL}]


def test_product_names_given_by_the_caller_win() -> None:
    credential = credential_for(five_events(), product_names={PALLET: "Pallet 608"})
    assert credential["credentialSubject"][3]["parentEPC"]["name"] == "Pallet 608"


def test_valid_from_in_utc_and_fractions() -> None:
    moment = datetime(2024, 10, 1, 7, 30, 0, 250000, tzinfo=UTC)
    credential = dte_credential(five_events(), issuer_id=ISSUER, issuer_name="X", valid_from=moment)
    assert credential["validFrom"] == "2024-10-01T07:30:00.250000Z"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda e: e[:0], None, "at least one event"),
        (lambda e: [*e, e[0]], "events", "repeat"),
        (
            lambda e: [e[0].model_copy(update={"event_id": "event one"})],
            "id",
            "absolute URI",
        ),
        (
            lambda e: [
                e[0].model_copy(
                    update={"quantity_list": (QuantityElement(epc_class=ORE_LOT, uom="TNE"),)}
                )
            ],
            "quantityList[0].quantity",
            "needs a quantity",
        ),
        (
            lambda e: [e[1].model_copy(update={"destination_list": ()})],
            "destinationParty",
            "owning or possessing party",
        ),
        (
            lambda e: [e[3].model_copy(update={"parent_id": "pallet 608"})],
            "parentEPC.id",
            "absolute URI",
        ),
        (
            lambda e: [e[4].model_copy(update={"biz_step": "sealing"})],
            "bizStep",
            "absolute URI",
        ),
    ],
)
def test_events_that_dte_cannot_express_are_refused(
    change: Any, field: str | None, words: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        credential_for(change(five_events()))
    assert caught.value.field == field
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"issuer_id": "Oresight registry"}, "issuer_id"),
        ({"issuer_id": "ftp://registry.example"}, "issuer_id"),
        ({"issuer_name": "  "}, "issuer_name"),
        ({"valid_from": datetime(2024, 10, 1)}, "valid_from"),
    ],
)
def test_bad_issuer_or_time_is_refused(arguments: dict[str, Any], field: str) -> None:
    values: dict[str, Any] = {"issuer_id": ISSUER, "issuer_name": "X", "valid_from": VALID_FROM}
    values.update(arguments)
    with pytest.raises(InvalidInput) as caught:
        dte_credential(five_events(), **values)
    assert caught.value.field == field


# The envelope

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
KID = "did:web:registry.oresight.example#key-1"
SMALL_CREDENTIAL = dte_credential(
    five_events()[3:4], issuer_id=ISSUER, issuer_name="X", valid_from=VALID_FROM
)
TOKEN = envelope_credential(SMALL_CREDENTIAL, private_key=KEY, kid=KID)

# RFC 8037 appendix A: the Ed25519 key of A.1, its thumbprint (A.3) and a signed JWS (A.4).
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
RFC8037_JWS = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)


def test_rfc8037_vectors() -> None:
    key = Ed25519PrivateKey.from_private_bytes(b64url_decode(RFC8037_D, field="d"))
    assert public_jwk(key.public_key()) == {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X}
    assert jwk_thumbprint(key.public_key()) == RFC8037_THUMBPRINT
    assert sign_compact({"alg": "EdDSA"}, b"Example of Ed25519 signing", key) == RFC8037_JWS


def test_sign_then_verify_returns_the_credential() -> None:
    credential = credential_for(five_events())
    key = generate_issuer_key()
    token = envelope_credential(credential, private_key=key, kid=KID)
    assert verify_enveloped_credential(token, public_key=key.public_key()) == credential
    assert verify_enveloped_credential(token, public_key=key.public_key(), kid=KID) == credential


def test_the_token_is_a_plain_vc_jose_jws() -> None:
    # Checked without our verifier: header fields, payload, and the signature over the input.
    header, payload, signature = TOKEN.split(".")
    assert json.loads(b64url_decode(header, field="h")) == {
        "alg": "EdDSA",
        "kid": KID,
        "typ": "vc+jwt",
        "cty": "vc",
    }
    assert json.loads(b64url_decode(payload, field="p")) == SMALL_CREDENTIAL
    KEY.public_key().verify(b64url_decode(signature, field="s"), f"{header}.{payload}".encode())


def _forged(header: dict[str, Any], key: Ed25519PrivateKey = KEY) -> str:
    return sign_compact(header, json.dumps(SMALL_CREDENTIAL).encode(), key)


@pytest.mark.parametrize(
    ("token", "field", "words"),
    [
        (
            b64url_encode(b'{"alg":"none","typ":"vc+jwt"}') + "." + TOKEN.split(".")[1] + ".",
            "header.alg",
            "'none'",
        ),
        (_forged({"alg": "ES256", "typ": "vc+jwt"}), "header.alg", "expected alg 'EdDSA'"),
        (_forged({"alg": "EdDSA", "typ": "JWT"}), "header.typ", "expected typ 'vc+jwt'"),
        (_forged({"alg": "EdDSA"}), "header.typ", "found None"),
        (_forged({"alg": "EdDSA", "typ": "vc+jwt", "cty": "vp"}), "header.cty", "expected cty"),
        (
            _forged({"alg": "EdDSA", "typ": "vc+jwt", "crit": ["b64"], "b64": False}),
            "header.crit",
            "not supported",
        ),
        (_forged({"alg": "EdDSA", "typ": "vc+jwt"}, OTHER_KEY), "signature", "does not verify"),
        (TOKEN + "=", "signature", "unpadded base64url"),
        (TOKEN.rsplit(".", 1)[0], None, "found 2"),
        (TOKEN + ".e30", None, "found 4"),
        (" " + TOKEN, "header", "unpadded base64url"),
        (
            b64url_encode(b'{"alg":"EdDSA","alg":"none","typ":"vc+jwt"}') + ".e30.AA",
            "header",
            "duplicate member names ['alg']",
        ),
        ("e30.e30.AA", "header.alg", "found None"),
        ("W10.e30.AA", "header", "found list"),
        (b64url_encode(b"\xff{}") + ".e30.AA", "header", "not UTF-8"),
    ],
)
def test_hostile_tokens_are_refused(token: str, field: str | None, words: str) -> None:
    with pytest.raises(EnvelopeError) as caught:
        verify_enveloped_credential(token, public_key=KEY.public_key())
    assert caught.value.field == field
    assert words in caught.value.message


def test_a_token_signed_by_another_key_is_refused() -> None:
    with pytest.raises(EnvelopeError, match="does not verify"):
        verify_enveloped_credential(TOKEN, public_key=OTHER_KEY.public_key())


def test_a_signed_payload_that_is_not_a_credential_is_refused() -> None:
    header = {"alg": "EdDSA", "typ": "vc+jwt"}
    token = sign_compact(header, b'{"@context":["https://www.w3.org/2018/credentials/v1"]}', KEY)
    with pytest.raises(EnvelopeError) as caught:
        verify_enveloped_credential(token, public_key=KEY.public_key())
    assert caught.value.field == "payload.@context"
    with pytest.raises(EnvelopeError, match="expected a JSON object"):
        verify_enveloped_credential(
            sign_compact(header, b"[1, 2]", KEY), public_key=KEY.public_key()
        )


def test_the_wrong_kid_is_refused() -> None:
    with pytest.raises(EnvelopeError, match="expected kid 'did:web:other#k'"):
        verify_enveloped_credential(TOKEN, public_key=KEY.public_key(), kid="did:web:other#k")


def test_non_credentials_are_not_enveloped() -> None:
    with pytest.raises(EnvelopeError, match="VerifiableCredential"):
        envelope_credential(
            {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["Thing"]},
            private_key=KEY,
            kid=KID,
        )
    with pytest.raises(EnvelopeError, match="key id"):
        envelope_credential(SMALL_CREDENTIAL, private_key=KEY, kid="")


@pytest.mark.parametrize("segment", [0, 1, 2])
@given(data=st.data())
def test_every_single_bit_flip_is_refused(segment: int, data: st.DataObject) -> None:
    start = sum(len(part) + 1 for part in TOKEN.split(".")[:segment])
    length = len(TOKEN.split(".")[segment])
    # The dot after a segment belongs to it, so flips of the separators are tried too.
    position = data.draw(st.integers(start, min(start + length, len(TOKEN) - 1)))
    bit = data.draw(st.integers(0, 7))
    raw = bytearray(TOKEN.encode("ascii"))
    raw[position] ^= 1 << bit
    with pytest.raises(EnvelopeError):
        verify_enveloped_credential(raw.decode("latin-1"), public_key=KEY.public_key())


@given(cut=st.integers(0, len(TOKEN) - 1))
def test_every_truncation_is_refused(cut: int) -> None:
    with pytest.raises(EnvelopeError):
        verify_enveloped_credential(TOKEN[:cut], public_key=KEY.public_key())


def test_the_last_signature_character_has_one_spelling() -> None:
    # 64 bytes take 86 base64url characters; the last one carries 4 unused bits, and a token
    # that sets them must not pass as the original.
    head, signature = TOKEN.rsplit(".", 1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    index = alphabet.index(signature[-1])
    twin = f"{head}.{signature[:-1]}{alphabet[index ^ 1]}"
    with pytest.raises(EnvelopeError, match="canonical"):
        verify_enveloped_credential(twin, public_key=KEY.public_key())


# Keys


def test_pem_round_trip() -> None:
    key = generate_issuer_key()
    loaded = load_private_key(private_key_pem(key))
    assert loaded.private_bytes_raw() == key.private_bytes_raw()
    public = load_public_key(public_key_pem(key.public_key()))
    assert public.public_bytes_raw() == key.public_key().public_bytes_raw()
    locked = private_key_pem(key, password=b"correct horse")
    assert load_private_key(locked, password=b"correct horse").private_bytes_raw() == (
        key.private_bytes_raw()
    )
    with pytest.raises(EnvelopeError, match="cannot read the private key"):
        load_private_key(locked)


def test_keys_of_other_kinds_and_garbage_are_refused() -> None:
    ec_key = generate_private_key(SECP256R1())
    ec_pem = ec_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    with pytest.raises(EnvelopeError, match="expected an Ed25519 private key"):
        load_private_key(ec_pem)
    ec_public = ec_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(EnvelopeError, match="expected an Ed25519 public key"):
        load_public_key(ec_public)
    with pytest.raises(EnvelopeError, match="cannot read"):
        load_private_key(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(EnvelopeError, match="cannot read"):
        load_public_key(b"not a key")
