"""A software passkey authenticator for the wire tests: what a browser and its platform
authenticator answer to ``navigator.credentials.create/get``, built with ``cryptography``
(an ES256 key) and ``cbor2`` (the COSE key and the attestation object), as W3C WebAuthn
Level 3 lays them out. The browser test drives chromium's own virtual authenticator
instead; this one lets a test tamper with any byte of an answer."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftwarePasskey:
    """One passkey on a software authenticator; ``origin`` is the page it answers on."""

    origin: str = "http://localhost:8000"
    rp_id: str | None = None  # None: the relying party the options name
    user_verified: bool = True
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    sign_count: int = 0
    user_handle: str | None = None

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _flags(self, extra: int = 0) -> int:
        return UP | (UV if self.user_verified else 0) | extra

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        ).encode()

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        """The RegistrationResponseJSON for CredentialCreationOptions ``options``."""
        rp_id = self.rp_id or options["rp"]["id"]
        self.user_handle = options["user"]["id"]
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags(AT)])
            + struct.pack(">I", self.sign_count)
            + bytes(16)  # AAGUID: none
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self._cose_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"])
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }

    def get(self, options: dict[str, Any]) -> dict[str, Any]:
        """The AuthenticationResponseJSON for CREDENTIAL_REQUEST_OPTIONS ``options``."""
        rp_id = self.rp_id or options["rpId"]
        self.sign_count += 1
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags()])
            + struct.pack(">I", self.sign_count)
        )
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        response = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
        }
        if self.user_handle:
            response["userHandle"] = self.user_handle
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": response,
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }


def flip_signature_byte(assertion: dict[str, Any]) -> dict[str, Any]:
    """The assertion with one byte of its signature changed."""
    signature = bytearray(unb64url(assertion["response"]["signature"]))
    signature[len(signature) // 2] ^= 0x01
    tampered = json.loads(json.dumps(assertion))
    tampered["response"]["signature"] = b64url(bytes(signature))
    return tampered


def with_challenge(answer: dict[str, Any], challenge: str) -> dict[str, Any]:
    """The answer with its clientDataJSON's challenge replaced (the signature no longer
    covers it)."""
    tampered = json.loads(json.dumps(answer))
    client_data = json.loads(unb64url(tampered["response"]["clientDataJSON"]))
    client_data["challenge"] = challenge
    tampered["response"]["clientDataJSON"] = b64url(json.dumps(client_data).encode())
    return tampered
