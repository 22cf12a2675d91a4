"""A TLS WebSocket server on 127.0.0.1 with a throw-away CA, for the ``wss://`` tests."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from pathlib import Path
from types import TracebackType
from typing import Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from transcribe_medical._tls_socket import for_threads


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """Write a CA and a server certificate for 127.0.0.1/localhost; returns (ca, cert, key) paths."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "transcribe-medical test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, cert_path, key_path


class TLSWebSocketServer:
    """Accepts ``wss://`` handshakes on 127.0.0.1 and records each request path.

    It is not a transcription service: the tests only open and close sessions. A path is recorded
    while the handshake request is processed, before the ``101`` answer is sent, so a client whose
    handshake completed can read its path in :attr:`paths` without waiting for the server thread.
    """

    def __init__(self, directory: Path) -> None:
        self.ca, cert, key = make_certificates(directory)
        # websockets' threaded server reads on one thread while it answers on another: the same
        # TLS socket that serialises the two for our clients keeps this server from losing a request.
        context = for_threads(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
        context.load_cert_chain(cert, key)
        self.paths: list[str] = []
        # The server's handshake budget matches the clients' (60 s in the tests): websockets' default
        # of 10 s closed a handshake mid-way when CI ran both suites side by side on 2 cores.
        self._server: Server = serve(
            self._handle, "127.0.0.1", 0, ssl=context, process_request=self._record, open_timeout=60
        )
        self.port: int = self._server.socket.getsockname()[1]
        self.endpoint = f"wss://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="test-tls-server", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def _record(self, connection: ServerConnection, request: Request) -> Response | None:
        self.paths.append(request.path.split("?", 1)[0])
        return None  # go on with the handshake

    def _handle(self, connection: ServerConnection) -> None:
        for _ in connection:  # until the client closes
            pass
