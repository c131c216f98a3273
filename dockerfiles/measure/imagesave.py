#!/usr/bin/env python3
"""Reads an image from `docker save`, in both of the layouts engines write.

  Docker before 25 (and the classic store's older layout): each layer at
  ID/layer.tar, uncompressed, a layer that repeats as a symbolic link;
  manifest.json lists them in order.

  Docker 25 and later: the OCI image layout. Every layer is a blob at
  blobs/sha256/DIGEST, uncompressed from the classic store and usually
  gzip-compressed from the containerd image store (Docker Desktop's
  default); index.json, and manifest.json beside it, list them.

The tar stream is read once, as it passes: each layer is handed, already
decompressed, to a function of the caller's, and the results come back in
the image's layer order.

  sizes IMAGE   JSON: the image's layers, the unpacked size of its layers
                (the bytes of the files and links they hold: what the
                classic store's `docker images` shows) and their compressed
                size (each layer's tar through gzip -6, what a registry
                transfer costs). The same figures from either store.
  unpacked IMAGE  the same without the compressed size (null): a read of
                docker save alone, no compression.

The docker client is $DOCKER (default: docker).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import zlib
from collections.abc import Callable
from typing import IO, Any

from dockercli import DOCKER, show

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
CHUNK = 1 << 20


class SaveError(Exception):
    """docker save failed, or wrote something this reader does not know."""


class Peeked:
    """A file object whose first bytes were read ahead, to tell what it is."""

    def __init__(self, raw: IO[bytes], size: int = 512) -> None:
        self.raw = raw
        self.head = raw.read(size)

    def read(self, n: int | None = -1) -> bytes:
        if self.head:
            if n is None or n < 0:
                data, self.head = self.head + self.raw.read(), b""
                return data
            data, self.head = self.head[:n], self.head[n:]
            if len(data) < n:
                data += self.raw.read(n - len(data))
            return data
        return self.raw.read(n)


class Gunzip:
    """A gzip stream decompressed as it is read (tarfile's "r|gz" would need
    the whole member to be a single gzip member it can seek in)."""

    def __init__(self, raw: Peeked | IO[bytes]) -> None:
        self.raw = raw
        self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.buffer = b""

    def read(self, n: int | None = -1) -> bytes:
        while n is None or n < 0 or len(self.buffer) < n:
            chunk = self.raw.read(CHUNK)
            if not chunk:
                self.buffer += self.inflate.flush()
                break
            self.buffer += self.inflate.decompress(chunk)
            # Concatenated gzip members: start the next one.
            while self.inflate.eof and self.inflate.unused_data:
                rest = self.inflate.unused_data
                self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
                self.buffer += self.inflate.decompress(rest)
        if n is None or n < 0:
            data, self.buffer = self.buffer, b""
        else:
            data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data


def layer_stream(member_file: IO[bytes]) -> tuple[str, Peeked | Gunzip]:
    """(kind, stream): "tar" or "gzip" with the layer's uncompressed tar
    stream, "other" for a blob that is no layer (a config, a manifest)."""
    peeked = Peeked(member_file)
    head = peeked.head
    if head.startswith(GZIP_MAGIC):
        return "gzip", Gunzip(peeked)
    if head.startswith(ZSTD_MAGIC):
        raise SaveError("a layer is zstd-compressed, which this reader cannot decompress "
                        "(build with the default gzip compression)")
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar", peeked
    # An empty layer (a RUN that changed no file) is a tar of its end
    # marker alone: zero bytes.
    if len(head) == 512 and not head.strip(b"\0"):
        return "tar", peeked
    return "other", peeked


def read_save(stream: IO[bytes], on_layer: Callable[[Peeked | Gunzip], Any]) -> tuple[list[Any], dict[str, Any]]:
    """Read a `docker save` tar stream. on_layer(stream) is called with each
    layer's uncompressed tar stream, as it passes; returns (layer results in
    the image's order, the image config)."""
    results, links, blobs, manifest, index = {}, {}, {}, None, None
    with tarfile.open(fileobj=stream, mode="r|", bufsize=CHUNK) as outer:
        for member in outer:
            name = os.path.normpath(member.name)
            if member.issym() or member.islnk():
                links[name] = os.path.normpath(os.path.join(os.path.dirname(name), member.linkname)) \
                    if member.issym() else os.path.normpath(member.linkname)
                continue
            if not member.isfile():
                continue
            data = outer.extractfile(member)
            if name == "manifest.json":
                manifest = json.load(data)
            elif name == "index.json":
                index = json.load(data)
            elif name in ("oci-layout", "repositories"):
                continue
            else:
                kind, layer = layer_stream(data)
                if kind == "other":
                    if member.size <= 4 * CHUNK:
                        blobs[name] = layer.read()
                    continue
                results[name] = on_layer(layer)
                # Read to the member's end: what on_layer left is still the layer's.
                while layer.read(CHUNK):
                    pass
    order, config = layer_order(manifest, index, blobs)
    missing = [name for name in order if links.get(name, name) not in results]
    if missing:
        raise SaveError(f"docker save wrote no layer {missing[0]}")
    return [results[links.get(name, name)] for name in order], config


def blob_path(digest: str) -> str:
    algorithm, _, hex_digest = digest.partition(":")
    return os.path.join("blobs", algorithm, hex_digest)


def layer_order(manifest: list[dict[str, Any]] | None, index: dict[str, Any] | None,
                blobs: dict[str, bytes]) -> tuple[list[str], dict[str, Any]]:
    """The layers' file names in order, and the image config, from
    manifest.json (either layout) or else the OCI index."""
    if manifest:
        entry = manifest[0]
        config = json.loads(blobs.get(os.path.normpath(entry["Config"]), b"{}"))
        return [os.path.normpath(name) for name in entry["Layers"]], config
    if index:
        descriptor = index["manifests"][0]
        # An index may point at another index (a multi-platform image).
        for _ in range(4):
            document = json.loads(blobs.get(blob_path(descriptor["digest"]), b"{}"))
            if "layers" in document:
                config = json.loads(blobs.get(blob_path(document["config"]["digest"]), b"{}"))
                return [blob_path(layer["digest"]) for layer in document["layers"]], config
            if not document.get("manifests"):
                break
            descriptor = document["manifests"][0]
    raise SaveError("docker save wrote neither manifest.json nor an OCI index this reader can follow")


def docker_save(image: str, on_layer: Callable[[Peeked | Gunzip], Any], quiet: bool = False) -> tuple[list[Any], dict[str, Any]]:
    """Run docker save IMAGE and read it with read_save."""
    argv = [DOCKER, "save", image]
    if not quiet:
        show(argv)
    try:
        save = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as error:
        raise SaveError(f"cannot run {DOCKER}: {error.strerror}") from None
    errors = []
    reader = threading.Thread(target=lambda: errors.append(save.stderr.read()))
    reader.start()
    try:
        result = read_save(save.stdout, on_layer)
    except tarfile.TarError:
        result = None
    finally:
        save.stdout.close()
        status = save.wait()
        reader.join()
    if status != 0 or result is None:
        why = (errors[0].decode(errors="replace").strip().splitlines() or [f"exit status {status}"])[-1]
        raise SaveError(f"docker save {image} failed: {why}")
    return result


# --- sizes ---------------------------------------------------------------------------

class Counter:
    """Counts the bytes a compressor writes, in a thread of its own."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self.bytes = 0
        self.thread = threading.Thread(target=self.count, args=(pipe,))
        self.thread.start()

    def count(self, pipe: IO[bytes]) -> None:
        while True:
            chunk = pipe.read(CHUNK)
            if not chunk:
                return
            self.bytes += len(chunk)


class Gzip:
    """gzip -6 of the bytes written to it; pigz (every core) when present."""

    def __init__(self) -> None:
        self.zip = shutil.which("pigz")
        if self.zip:
            self.process = subprocess.Popen([self.zip, "-6", "-c"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            self.counter = Counter(self.process.stdout)
        else:
            self.deflate = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            self.bytes = 0

    def write(self, data: bytes) -> None:
        if self.zip:
            self.process.stdin.write(data)
        else:
            self.bytes += len(self.deflate.compress(data))

    def close(self) -> int:
        if self.zip:
            self.process.stdin.close()
            self.counter.thread.join()
            self.process.stdout.close()
            if self.process.wait() != 0:
                raise SaveError(f"{self.zip} failed")
            return self.counter.bytes
        return self.bytes + len(self.deflate.flush())


class Tee:
    """Hands what is read through it to a writer too."""

    def __init__(self, raw: Peeked | Gunzip | IO[bytes], sink: Gzip | Discard) -> None:
        self.raw, self.sink, self.bytes = raw, sink, 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.bytes += len(data)
        self.sink.write(data)
        return data


class Discard:
    """A writer that keeps nothing (sizes without the compressed figure)."""

    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        return None


def layer_sizes(stream: Peeked | Gunzip | IO[bytes], compress: bool = True) -> tuple[int, int, int | None]:
    """(unpacked bytes, tar bytes, gzip -6 bytes of the tar or None) of one
    uncompressed layer stream. Unpacked: the sizes of the files the layer
    holds and the lengths of its symbolic links' targets, a hard link
    counted once, which is how the classic store sizes a layer on disk."""
    gzip = Gzip() if compress else Discard()
    tee = Tee(stream, gzip)
    unpacked = 0
    with tarfile.open(fileobj=tee, mode="r|", bufsize=CHUNK) as tar:
        for member in tar:
            if member.isfile():
                unpacked += member.size
            elif member.issym():
                unpacked += len(member.linkname.encode())
    while tee.read(CHUNK):
        pass
    return unpacked, tee.bytes, gzip.close()


def sizes(image: str, compress: bool = True) -> dict[str, Any]:
    """The image's sizes, as make sizes reports them (see the module's doc);
    compressed_bytes None without compress."""
    found, config = docker_save(image, lambda stream: layer_sizes(stream, compress))
    return {
        "image": image,
        "layers": len(found),
        "bytes": sum(layer[0] for layer in found),
        "tar_bytes": sum(layer[1] for layer in found),
        "compressed_bytes": sum(layer[2] for layer in found) if compress else None,
        "diff_ids": (config.get("rootfs") or {}).get("diff_ids") or [],
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("sizes", "unpacked"):
        print("usage: imagesave.py sizes|unpacked IMAGE", file=sys.stderr)
        return 2
    try:
        print(json.dumps(sizes(argv[1], compress=argv[0] == "sizes")))
    except SaveError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
