#!/usr/bin/env python3
"""What is inside an image, read from the image itself (docs/08-security.md).

Subcommands, each printing JSON on stdout and the docker commands it runs
on stderr, so that a learner can run them by hand:

  inventory IMAGE       one pass over `docker export`: files, bytes, OS
                        packages, shells, package managers, curl and wget,
                        setuid and setgid files, and the dependencies that
                        an SBOM lists (the Swift packages of Package.resolved
                        that linked-packages.txt names as linked, Go build
                        info, jlink modules, Python distributions, Node
                        packages)
  layers IMAGE [--build-ca FILE]
                        every layer of `docker save`, file by file: private
                        keys, credential files, .git folders and the build
                        network's own CA certificates, each with the layer
                        that adds it and whether a later layer deletes it
                        (a deleted file still ships)
  sbom INVENTORY.json   a CycloneDX 1.6 document from an inventory
  validate SBOM.json... check CycloneDX documents against the schema

The docker client is $DOCKER (default: docker).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
from collections.abc import Iterator, Sequence
from typing import Any

import imagesave
from dockercli import DOCKER, docker, show


SHELLS = ("sh", "bash", "dash", "ash", "zsh", "busybox")
PACKAGE_MANAGERS = ("apt", "apt-get", "dpkg", "apk", "pip", "pip3", "npm", "yum", "dnf", "microdnf")
FETCHERS = ("curl", "wget")
BIN_DIRS = ("bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin")

# A PEM private key of any kind (RSA, EC, OpenSSH, PKCS#8, encrypted ...):
# the header, base64 lines (and an encrypted key's headers), the footer.
# Libraries that read keys hold the header alone, which is not a key.
PRIVATE_KEY = re.compile(rb"-----BEGIN ((?:RSA|EC|DSA|OPENSSH|ENCRYPTED) )?PRIVATE KEY-----\r?\n"
                         rb"(?:[A-Za-z0-9+/=]{4,}\r?\n|[A-Za-z-]+: [^\n]*\n|\r?\n)+"
                         rb"-----END \1?PRIVATE KEY-----")
# Files whose presence alone means a credential came along.
CREDENTIAL_FILES = {".netrc", ".git-credentials", ".pypirc", ".npmrc", "credentials", "id_rsa", "id_ecdsa", "id_ed25519", "id_dsa"}
LARGEST_SCANNED = 256 * 1024 * 1024
# Debian's ca-certificates package: Mozilla's list, one file a certificate.
MOZILLA = "usr/share/ca-certificates/mozilla"
# Where dpkg keeps each package's list of files and their MD5 sums.
DPKG_INFO = ("var/lib/dpkg/info", "var/lib/dpkg/status.d")




def norm(name: str) -> str:
    name = name[2:] if name.startswith("./") else name
    return name.lstrip("/").rstrip("/")


# --- Debian's package database -------------------------------------------------------

def dpkg_records(text: str) -> Iterator[dict[str, str]]:
    """Packages of a dpkg status file (or one file of distroless's status.d)."""
    for block in re.split(r"\n\s*\n", text):
        fields = {}
        key = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                continue
            if ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        if "Package" not in fields:
            continue
        if "Status" in fields and not fields["Status"].endswith(" installed"):
            continue
        source = fields.get("Source", fields["Package"]).split(" ")[0]
        yield {"name": fields["Package"], "version": fields.get("Version", ""),
               "architecture": fields.get("Architecture", ""), "source": source}


# --- Go's build information ----------------------------------------------------------

GO_MAGIC = b"\xff Go buildinf:"


def varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def go_buildinfo(data: bytes) -> dict[str, Any] | None:
    """The Go version and modules that `go version -m` prints, read from the
    binary's .go.buildinfo (Go 1.18 and later write the strings inline)."""
    at = data.find(GO_MAGIC)
    if at < 0 or not data[at + 15] & 2:
        return None
    at += 32
    length, at = varint(data, at)
    version = data[at:at + length].decode()
    at += length
    length, at = varint(data, at)
    modinfo = data[at:at + length].decode(errors="replace")
    info = {"go": version, "path": "", "main": None, "deps": [], "settings": {}}
    for line in modinfo[16:-16].splitlines() if len(modinfo) > 32 else []:
        fields = line.split("\t")
        if fields[0] == "path":
            info["path"] = fields[1]
        elif fields[0] in ("mod", "dep") and len(fields) >= 3:
            module = {"name": fields[1], "version": fields[2]}
            if fields[0] == "mod":
                info["main"] = module
            else:
                info["deps"].append(module)
        elif fields[0] == "build" and "=" in fields[1]:
            key, value = fields[1].split("=", 1)
            info["settings"][key] = value
    return info


# --- inventory -------------------------------------------------------------------------

def image_config(image: str) -> tuple[dict[str, Any], dict[str, Any]]:
    data = json.loads(docker("image", "inspect", image))[0]
    config = data.get("Config") or {}
    return data, config


def inventory(image: str) -> dict[str, Any]:
    data, config = image_config(image)
    program = ((config.get("Entrypoint") or []) + (config.get("Cmd") or []) + [""])[0]
    container = docker("create", image, "/nonexistent").strip()
    argv = [DOCKER, "export", container]
    show(argv)
    found = {"files": 0, "bytes": 0, "setuid": [], "setgid": [], "shells": set(), "package_managers": set(),
             "fetchers": set(), "os_packages": [], "swift_packages": [], "python": [], "node": [],
             "jlink": None, "go": None, "git": set(), "os_release": {}}
    # Swift: the pins of each Package.resolved, and beside it the packages
    # that the build found linked into the binary (linked-packages.sh).
    resolved, linked = {}, {}
    try:
        export = subprocess.Popen(argv, stdout=subprocess.PIPE)
        with tarfile.open(fileobj=export.stdout, mode="r|") as tar:
            for member in tar:
                path = norm(member.name)
                base = os.path.basename(path)
                folder = os.path.dirname(path)
                if ".git" in path.split("/"):
                    found["git"].add(path.split("/.git")[0] + "/.git")
                if member.isdir() or not (member.isfile() or member.issym() or member.islnk()):
                    continue
                if member.isfile():
                    found["files"] += 1
                    found["bytes"] += member.size
                    if member.mode & 0o4000:
                        found["setuid"].append("/" + path)
                    if member.mode & 0o2000:
                        found["setgid"].append("/" + path)
                if folder in BIN_DIRS:
                    if base in SHELLS:
                        found["shells"].add("/" + path)
                    elif base in PACKAGE_MANAGERS:
                        found["package_managers"].add("/" + path)
                    elif base in FETCHERS:
                        found["fetchers"].add("/" + path)
                if not member.isfile():
                    continue
                if path in ("etc/os-release", "usr/lib/os-release") and not found["os_release"]:
                    text = tar.extractfile(member).read().decode(errors="replace")
                    found["os_release"] = {k: v.strip('"') for k, v in
                                           (line.split("=", 1) for line in text.splitlines() if "=" in line)}
                elif path == "var/lib/dpkg/status" or folder == "var/lib/dpkg/status.d":
                    if not base.endswith(".md5sums"):
                        found["os_packages"] += list(dpkg_records(tar.extractfile(member).read().decode(errors="replace")))
                elif base == "Package.resolved" and folder.startswith("usr/share/doc/"):
                    pins = json.loads(tar.extractfile(member).read()).get("pins", [])
                    resolved[folder] = [{"name": pin["identity"], "url": pin.get("location", ""),
                                         "version": pin.get("state", {}).get("version") or pin.get("state", {}).get("revision", "")}
                                        for pin in pins]
                elif base == "linked-packages.txt" and folder.startswith("usr/share/doc/"):
                    linked[folder] = set(tar.extractfile(member).read().decode(errors="replace").lower().split())
                elif base == "METADATA" and folder.endswith(".dist-info") and "site-packages" in folder:
                    headers = tar.extractfile(member).read().decode(errors="replace").split("\n\n")[0]
                    fields = dict(line.split(": ", 1) for line in headers.splitlines() if ": " in line)
                    found["python"].append({"name": fields.get("Name", ""), "version": fields.get("Version", ""),
                                            "license": fields.get("License-Expression") or fields.get("License", "")})
                elif base == "package.json" and re.search(r"(^|/)node_modules/(@[^/]+/)?[^/]+$", folder):
                    try:
                        package = json.loads(tar.extractfile(member).read())
                    except ValueError:
                        continue
                    if package.get("name") and package.get("version"):
                        found["node"].append({"name": package["name"], "version": package["version"]})
                elif base == "release" and member.size < 65536:
                    text = tar.extractfile(member).read().decode(errors="replace")
                    modules = re.search(r'^MODULES="([^"]*)"', text, re.M)
                    if modules:
                        version = re.search(r'^JAVA_VERSION="([^"]*)"', text, re.M)
                        found["jlink"] = {"path": "/" + folder, "java": version.group(1) if version else "",
                                          "modules": modules.group(1).split()}
                elif program.startswith("/") and path == norm(program) and member.size < LARGEST_SCANNED:
                    found["go"] = go_buildinfo(tar.extractfile(member).read())
        if export.wait() != 0:
            sys.exit(f"error: docker export {container} failed")
    finally:
        subprocess.run([DOCKER, "rm", container], capture_output=True)

    for folder, pins in sorted(resolved.items()):
        for pin in pins:
            checkout = re.sub(r"\.git$", "", pin["url"].rstrip("/").rsplit("/", 1)[-1]).lower()
            pin["linked"] = None if folder not in linked else bool({pin["name"], checkout} & linked[folder])
            found["swift_packages"].append(pin)

    return {
        "image": image, "id": data["Id"], "created": data.get("Created", ""),
        "user": config.get("User") or "", "exposed_ports": sorted((config.get("ExposedPorts") or {}).keys()),
        "entrypoint": config.get("Entrypoint") or [], "cmd": config.get("Cmd") or [],
        "labels": config.get("Labels") or {},
        "files": found["files"], "bytes": found["bytes"],
        "setuid": sorted(found["setuid"]), "setgid": sorted(found["setgid"]),
        "shells": sorted(found["shells"]), "package_managers": sorted(found["package_managers"]),
        "fetchers": sorted(found["fetchers"]), "git": sorted(found["git"]),
        "os_packages": sorted(found["os_packages"], key=lambda p: p["name"]),
        "swift_packages": found["swift_packages"], "python": found["python"], "node": found["node"],
        "jlink": found["jlink"], "go": found["go"],
        # The Debian release, whose security suite make scan compares with.
        "debian": {"version": release.get("VERSION_ID", ""), "codename": release.get("VERSION_CODENAME", "")}
        if (release := found["os_release"]).get("ID") == "debian" else None,
    }


# --- layers ----------------------------------------------------------------------------

def pem_certificates(data: bytes) -> list[bytes]:
    return [base64.b64decode(b"".join(body.split()))
            for body in re.findall(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", data, re.S)]


def build_only_certificates(bundle: str | None) -> list[tuple[str, bytes]]:
    """The certificates of the build's CA bundle that Mozilla's list does not
    have, as pip vendors it and as the host's Debian ships it: what a
    TLS-re-signing network adds. Each as (short sha256, DER)."""
    if not bundle:
        return []
    from pip._vendor import certifi  # noqa: PLC0415 (pip is in every venv)
    host = "/" + MOZILLA
    paths = [certifi.where()] + ([os.path.join(host, name) for name in os.listdir(host)] if os.path.isdir(host) else [])
    public = set()
    for path in paths:
        with open(path, "rb") as handle:
            public.update(pem_certificates(handle.read()))
    with open(bundle, "rb") as handle:
        ours = pem_certificates(handle.read())
    return [(hashlib.sha256(der).hexdigest()[:12], der) for der in ours if der not in public]


def pem_lines(der: bytes) -> tuple[bytes, bytes]:
    """The first two base64 lines of a certificate as PEM writes it: enough
    to recognise it in any bundle."""
    text = base64.b64encode(der)
    return text[:64], text[64:128]


def file_findings(path: str, data: bytes | None,
                  secrets: Sequence[tuple[str, tuple[bytes, bytes]]]) -> list[tuple[str, str | None]]:
    """What a file of a layer carries that no image should: (finding, the
    build CA certificate's short sha256 or None)."""
    findings = []
    base = os.path.basename(path)
    if base in CREDENTIAL_FILES or path.endswith(".docker/config.json"):
        findings.append(("credential file", None))
    if data is not None:
        if PRIVATE_KEY.search(data):
            findings.append(("private key", None))
        for name, (first, second) in secrets:
            at = data.find(first)
            if at >= 0 and second in data[at:at + 200]:
                findings.append((f"build CA certificate {name}", name))
    return findings


def layers(image: str, build_ca: str | None = None) -> dict[str, Any]:
    build_only = build_only_certificates(build_ca)
    secrets = [(name, pem_lines(der)) for name, der in build_only]
    # Mozilla's certificates as this image's own Debian packages have them:
    # one of those in a bundle is public, whatever the host's lists say.
    public = set()
    # (path, MD5) of every file that a Debian package installed.
    packaged = set()
    data, _config = image_config(image)
    diff_ids = (data.get("RootFS") or {}).get("Layers") or []
    report = {"image": image, "id": data["Id"], "layers": []}

    def read_layer(tar: tarfile.TarFile) -> tuple[int, list[dict[str, Any]], list[str]]:
        """(files, findings, deleted paths) of one layer's tar stream."""
        files, found, deleted = 0, [], []
        for member in tar:
            path = norm(member.name)
            base = os.path.basename(path)
            if base.startswith(".wh."):
                deleted.append(os.path.dirname(path) if base == ".wh..wh..opq" else os.path.join(os.path.dirname(path), base[4:]))
                continue
            if member.isdir():
                if base == ".git":
                    found.append({"path": "/" + path, "what": ".git folder"})
                continue
            if not member.isfile():
                continue
            files += 1
            content = tar.extractfile(member).read() if member.size <= LARGEST_SCANNED else None
            if content is not None and os.path.dirname(path) == MOZILLA:
                public.update(pem_certificates(content))
            if content is not None and base.endswith(".md5sums") and os.path.dirname(path) in DPKG_INFO:
                packaged.update(tuple(line.split(None, 1)[::-1]) for line in content.decode(errors="replace").splitlines()
                                if len(line.split(None, 1)) == 2)
            for what, certificate in file_findings(path, content, secrets):
                found.append({"path": "/" + path, "what": what, "certificate": certificate,
                              "md5": hashlib.md5(content).hexdigest() if content is not None else None})
        return files, found, deleted

    # `docker save` streamed (either layout, imagesave.py): each layer's tar
    # is read as it passes, and the results come back in the image's order.
    def read_stream(stream: imagesave.Peeked | imagesave.Gunzip) -> tuple[int, list[dict[str, Any]], list[str]]:
        with tarfile.open(fileobj=stream, mode="r|", bufsize=imagesave.CHUNK) as tar:
            return read_layer(tar)

    try:
        read, _config = imagesave.docker_save(image, read_stream)
    except imagesave.SaveError as error:
        sys.exit(f"error: {error}")
    found, deleted = [], {}
    for number, (files, layer_found, layer_deleted) in enumerate(read, 1):
        found += [dict(finding, layer=number) for finding in layer_found]
        deleted[number] = layer_deleted
        report["layers"].append({"layer": number, "diff_id": diff_ids[number - 1] if number <= len(diff_ids) else "", "files": files})
    public_names = {name for name, der in build_only if der in public}
    report["findings"], report["packaged_keys"] = [], []
    for finding in found:
        if finding.pop("certificate", None) in public_names:
            continue
        # A key inside a file of a Debian package, as the package shipped
        # it (GnuTLS's self-test keys, for one), is public.
        if finding["what"] == "private key" and (finding["path"][1:], finding.get("md5")) in packaged:
            report["packaged_keys"].append(finding["path"])
            continue
        finding.pop("md5", None)
        # A file deleted in a later layer still ships in its own layer.
        later = [n for n, paths in deleted.items() if n > finding["layer"]
                 and any(finding["path"][1:] == p or finding["path"][1:].startswith(p + "/") for p in paths)]
        finding["deleted_in_layer"] = later[0] if later else None
        report["findings"].append(finding)
    report["build_ca_certificates"] = len(build_only) - len(public_names)
    return report


# --- SBOM ------------------------------------------------------------------------------

def sbom(inv: dict[str, Any]) -> str:
    from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri  # noqa: PLC0415
    from cyclonedx.model.bom import Bom  # noqa: PLC0415
    from cyclonedx.model.component import Component, ComponentType  # noqa: PLC0415
    from cyclonedx.output.json import JsonV1Dot6  # noqa: PLC0415
    from packageurl import PackageURL  # noqa: PLC0415

    bom = Bom()
    labels = inv.get("labels", {})
    root = Component(name=inv["image"], version=inv["id"][7:19], type=ComponentType.CONTAINER,
                     bom_ref=f"image:{inv['image']}",
                     description=labels.get("org.opencontainers.image.description"))
    source = labels.get("org.opencontainers.image.source")
    if source and re.match(r"^[a-z]+://", source):
        root.external_references.add(ExternalReference(type=ExternalReferenceType.VCS, url=XsUri(source)))
    bom.metadata.component = root
    seen = set()

    def add(component: Component) -> None:
        if component.bom_ref.value in seen:
            return
        seen.add(component.bom_ref.value)
        bom.components.add(component)
        bom.register_dependency(root, [component])

    # purl's distro qualifier: the image's own Debian release, by codename.
    release = inv.get("debian") or {}
    distro = {"distro": release["codename"]} if release.get("codename") else {}
    for package in inv["os_packages"]:
        purl = PackageURL("deb", "debian", package["name"], package["version"],
                          {"arch": package["architecture"], **distro} if package["architecture"] else distro)
        add(Component(name=package["name"], version=package["version"], type=ComponentType.LIBRARY,
                      purl=purl, bom_ref=str(purl)))
    # The Swift packages linked into the binary; all those resolved where the
    # image does not say which are linked (the others serve the tests or the
    # build: Package.resolved names them too).
    for package in inv["swift_packages"]:
        if package.get("linked") is False:
            continue
        match = re.match(r"^https?://(github\.com)/([^/]+)/([^/]+?)(\.git)?$", package["url"])
        purl = (PackageURL("swift", f"{match.group(1)}/{match.group(2)}", match.group(3), package["version"]) if match
                else PackageURL("generic", None, package["name"], package["version"]))
        add(Component(name=package["name"], version=package["version"], type=ComponentType.LIBRARY,
                      purl=purl, bom_ref=str(purl)))
    go = inv.get("go")
    if go:
        purl = PackageURL("golang", None, "stdlib", go["go"])
        add(Component(name="stdlib", version=go["go"], type=ComponentType.LIBRARY, purl=purl, bom_ref=str(purl)))
        for module in ([go["main"]] if go.get("main") else []) + go["deps"]:
            purl = PackageURL("golang", None, module["name"], module["version"])
            add(Component(name=module["name"], version=module["version"], type=ComponentType.LIBRARY,
                          purl=purl, bom_ref=str(purl)))
    jlink = inv.get("jlink")
    if jlink:
        for module in jlink["modules"]:
            purl = PackageURL("generic", "openjdk", module, jlink["java"])
            add(Component(name=module, version=jlink["java"], type=ComponentType.LIBRARY, group="openjdk",
                          description=f"a module of the jlink runtime in {jlink['path']}", purl=purl, bom_ref=str(purl)))
    for package in inv["python"]:
        purl = PackageURL("pypi", None, package["name"].lower(), package["version"])
        add(Component(name=package["name"], version=package["version"], type=ComponentType.LIBRARY,
                      purl=purl, bom_ref=str(purl)))
    for package in inv["node"]:
        namespace, _, name = package["name"].rpartition("/")
        purl = PackageURL("npm", namespace or None, name, package["version"])
        add(Component(name=package["name"], version=package["version"], type=ComponentType.LIBRARY,
                      purl=purl, bom_ref=str(purl)))
    return JsonV1Dot6(bom).output_as_string(indent=2)


def validate(paths: Sequence[str]) -> int:
    from cyclonedx.schema import SchemaVersion  # noqa: PLC0415
    from cyclonedx.validation.json import JsonStrictValidator  # noqa: PLC0415
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    bad = 0
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            error = validator.validate_str(handle.read())
        if error:
            bad += 1
            print(f"{path}: invalid CycloneDX 1.6: {str(error).splitlines()[0]}")
        else:
            print(f"{path}: valid CycloneDX 1.6")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("inventory").add_argument("image")
    layer_parser = sub.add_parser("layers")
    layer_parser.add_argument("image")
    layer_parser.add_argument("--build-ca")
    sub.add_parser("sbom").add_argument("inventory")
    sub.add_parser("validate").add_argument("sboms", nargs="+")
    args = parser.parse_args()
    if args.command == "inventory":
        json.dump(inventory(args.image), sys.stdout, indent=2)
    elif args.command == "layers":
        json.dump(layers(args.image, args.build_ca), sys.stdout, indent=2)
    elif args.command == "sbom":
        with open(args.inventory, encoding="utf-8") as handle:
            print(sbom(json.load(handle)))
        return 0
    else:
        return validate(args.sboms)
    print()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("error: interrupted")
