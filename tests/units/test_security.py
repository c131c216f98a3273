"""The parsers of dockerfiles/measure/security.py (make scan), on inputs made
here: Debian's package database, Go's build information, and the findings
in a layer's files (private keys, credential files, the build's CA). No
engine needed."""

import base64
import hashlib

import pytest

import security

STATUS = """Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc (2.36-9+deb12u10)
Version: 2.36-9+deb12u10
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
Conffiles:
 /etc/ld.so.conf.d/x86_64-linux-gnu.conf 1234

Package: removed-one
Status: deinstall ok config-files
Version: 1.0

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2025b-0+deb12u1
"""


def test_dpkg_status_lists_installed_packages_only():
    records = list(security.dpkg_records(STATUS))
    assert [r["name"] for r in records] == ["libc6", "tzdata"]


def test_dpkg_source_is_the_source_package_without_its_version():
    libc6, tzdata = security.dpkg_records(STATUS)
    assert libc6 == {"name": "libc6", "version": "2.36-9+deb12u10", "architecture": "amd64", "source": "glibc"}
    assert tzdata["source"] == "tzdata"


def test_dpkg_continuation_lines_are_not_fields():
    text = "Package: a\nVersion: 1\nDescription: x\n Version: 99\n"
    assert [r["version"] for r in security.dpkg_records(text)] == ["1"]


def test_distroless_status_d_file_has_no_status_field():
    # distroless writes one file per package into status.d, without Status.
    assert [r["name"] for r in security.dpkg_records("Package: base-files\nVersion: 12.4\n")] == ["base-files"]


def uvarint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def go_binary(version, modinfo, flags=2):
    """A file with Go 1.18's .go.buildinfo: the magic, pointer size, flags
    (2: strings inline), padding to 32 bytes, then the version and the
    module information (16 bytes of sentinel on each side), length-prefixed."""
    header = security.GO_MAGIC + bytes([8, flags])
    header += b"\0" * (32 - len(header))
    wrapped = b"0" * 16 + modinfo.encode() + b"1" * 16
    return b"ELF...code..." + header + uvarint(len(version)) + version.encode() + uvarint(len(wrapped)) + wrapped + b"tail"


MODINFO = "\n".join([
    "path\texample.com/app",
    "mod\texample.com/app\t(devel)\t",
    "dep\tgolang.org/x/net\tv0.38.0\th1:abc=",
    "build\tCGO_ENABLED=0",
    "build\t-ldflags=-s -w",
]) + "\n"


def test_go_buildinfo_reads_version_modules_and_settings():
    info = security.go_buildinfo(go_binary("go1.24.2", MODINFO))
    assert info["go"] == "go1.24.2"
    assert info["path"] == "example.com/app"
    assert info["main"] == {"name": "example.com/app", "version": "(devel)"}
    assert info["deps"] == [{"name": "golang.org/x/net", "version": "v0.38.0"}]
    assert info["settings"] == {"CGO_ENABLED": "0", "-ldflags": "-s -w"}


def test_go_buildinfo_long_module_information_needs_a_multi_byte_length():
    long = MODINFO + "".join(f"dep\texample.com/m{n}\tv1.0.{n}\t\n" for n in range(20))
    assert len(long) > 127
    assert len(security.go_buildinfo(go_binary("go1.22.0", long))["deps"]) == 21


def test_go_buildinfo_none_without_the_magic_or_inline_strings():
    assert security.go_buildinfo(b"\x7fELF not a go binary") is None
    assert security.go_buildinfo(go_binary("go1.17", MODINFO, flags=0)) is None


KEYS = [
    b"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n-----END RSA PRIVATE KEY-----\n",
    b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n",
    b"-----BEGIN PRIVATE KEY-----\r\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\r\n-----END PRIVATE KEY-----\r\n",
]


@pytest.mark.parametrize("key", KEYS, ids=["rsa", "openssh", "pkcs8-crlf"])
def test_a_private_key_in_any_file_is_found(key):
    assert ("private key", None) in security.file_findings("app/config/server.pem", b"junk\n" + key, [])


def test_a_public_key_or_a_certificate_is_not_a_private_key():
    data = b"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"
    data += b"-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"  # a template: no body
    assert security.file_findings("etc/ssl/a.pem", data, []) == []


@pytest.mark.parametrize("path", ["root/.netrc", "home/app/.docker/config.json", "root/.ssh/id_ed25519", "app/.npmrc"])
def test_credential_files_are_found_by_name(path):
    assert ("credential file", None) in security.file_findings(path, None, [])


def test_the_build_ca_is_found_by_its_first_two_pem_lines():
    der = hashlib.sha512(b"a certificate").digest() * 2
    name = hashlib.sha256(der).hexdigest()[:12]
    secrets = [(name, security.pem_lines(der))]
    pem = b"-----BEGIN CERTIFICATE-----\n" + base64.b64encode(der)[:64] + b"\n" + base64.b64encode(der)[64:] + b"\n-----END CERTIFICATE-----\n"
    assert security.file_findings("etc/ssl/certs/ca-certificates.crt", pem, secrets) == [(f"build CA certificate {name}", name)]
    assert security.pem_certificates(pem) == [der]
    assert security.file_findings("etc/ssl/certs/other.crt", pem.replace(b"\n", b"", 1), secrets) == [(f"build CA certificate {name}", name)]
    assert security.file_findings("etc/ssl/certs/mozilla.crt", b"-----BEGIN CERTIFICATE-----\nMIIB\n", secrets) == []
