"""cryptography's Rust and C (OpenSSL) parts both work: hashes, an AEAD, Fernet, a self-signed certificate.

Usage: python check_cryptography.py VERSION
"""
import datetime
import sys

import cryptography
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.backends.openssl.backend import backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

assert cryptography.__version__ == sys.argv[1], cryptography.__version__
print(backend.openssl_version_text())
assert backend.openssl_version_text().startswith("OpenSSL 3.0."), backend.openssl_version_text()

digest = hashes.Hash(hashes.SHA256())
digest.update(b"abc")
assert digest.finalize().hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

key = AESGCM.generate_key(bit_length=128)
sealed = AESGCM(key).encrypt(b"\0" * 12, b"archi", b"aad")
assert AESGCM(key).decrypt(b"\0" * 12, sealed, b"aad") == b"archi"

f = Fernet(Fernet.generate_key())
assert f.decrypt(f.encrypt(b"token")) == b"token"

# x509 parsing and building run in Rust (asn1 crate), signing in OpenSSL.
private = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "archi")])
now = datetime.datetime(2023, 1, 1)
cert = (
    x509.CertificateBuilder()
    .subject_name(name)
    .issuer_name(name)
    .public_key(private.public_key())
    .serial_number(1)
    .not_valid_before(now)
    .not_valid_after(now + datetime.timedelta(days=1))
    .sign(private, hashes.SHA256())
)
pem = cert.public_bytes(serialization.Encoding.PEM)
again = x509.load_pem_x509_certificate(pem)
assert again.subject.rfc4514_string() == "CN=archi"
again.public_key().verify(
    again.signature, again.tbs_certificate_bytes, ec.ECDSA(again.signature_hash_algorithm)
)
print("cryptography", cryptography.__version__, "ok")
