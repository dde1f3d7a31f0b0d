"""Writes an OpenSSF model-signing style DSSE envelope made without Sextant.

The envelope signs an in-toto v1 statement whose subjects are two files and
whose predicate binds them to version 3 of model "fraud" in registry "prod",
with an ECDSA P-256 key, SHA-256 over the DSSE pre-authentication encoding,
using Python's `cryptography` package. registry's tests check that
VerifyManifest accepts it for that version only. envelope-unbound.json signs
the same files, by the same key, with an empty predicate (the older layout),
which VerifyManifest must refuse. Run from this directory: python3 gen.py
"""
import base64
import hashlib
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

files = {"model.bin": b"weights", "config/params.json": b'{"depth": 6}'}
key = ec.generate_private_key(ec.SECP256R1())
der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
ptype = "application/vnd.in-toto+json"


def envelope(predicate):
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": n, "digest": {"sha256": hashlib.sha256(b).hexdigest()}} for n, b in sorted(files.items())],
        "predicateType": "https://model_signing/Digests/v0.1",
        "predicate": predicate,
    }
    payload = json.dumps(statement, separators=(",", ":")).encode()
    pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype.encode(), len(payload), payload)
    sig = key.sign(pae, ec.ECDSA(hashes.SHA256()))
    return {
        "payloadType": ptype,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": hashlib.sha256(der).hexdigest(), "sig": base64.b64encode(sig).decode()}],
    }


for name, predicate in [("envelope.json", {"registry": "prod", "model": "fraud", "version": 3}), ("envelope-unbound.json", {})]:
    with open(name, "w") as f:
        json.dump(envelope(predicate), f, indent=2)
        f.write("\n")
with open("key.pub.pem", "wb") as f:
    f.write(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
with open("files.json", "w") as f:
    json.dump({n: b.decode() for n, b in files.items()}, f, indent=2, sort_keys=True)
    f.write("\n")
