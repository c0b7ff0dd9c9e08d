"""Test certificates made with the openssl CLI: a CA and a server certificate for
127.0.0.1 / localhost, plus a second, unrelated CA."""

from __future__ import annotations

import hashlib
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pki:
    ca_cert: Path
    other_ca_cert: Path
    server_cert: Path
    server_key: Path

    def server_sha256(self) -> str:
        der = ssl.PEM_cert_to_DER_cert(self.server_cert.read_text())
        return hashlib.sha256(der).hexdigest()


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(root: Path) -> Pki:
    root.mkdir(parents=True, exist_ok=True)
    for name in ("ca", "other-ca"):
        _run(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN=Pulse test {name}",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.pem",
            cwd=root,
        )
    (root / "san.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n"
    )
    _run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        cwd=root,
    )
    _run(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.pem",
        cwd=root,
    )
    return Pki(root / "ca.pem", root / "other-ca.pem", root / "server.pem", root / "server.key")
