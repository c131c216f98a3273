"""dockerfiles/measure/imagesave.py on `docker save` streams made here, in both
layouts: Docker's own (ID/layer.tar, manifest.json) and the OCI image
layout of Docker 25 and later (blobs/sha256/..., index.json, gzip layers
from the containerd store). No engine needed."""

import gzip
import hashlib
import io
import json
import os
import tarfile
import unittest
import zlib

import imagesave  # on the path through conftest.py


def tar_bytes(entries):
    """An uncompressed tar of (name, bytes) files, (name, "->target")
    symbolic links and (name, None) folders."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if content is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif isinstance(content, str):
                info.type, info.linkname = tarfile.SYMTYPE, content[2:]
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


def outer_tar(files, links=()):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, content in files:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        for name, target in links:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    out.seek(0)
    return out


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


LAYER1 = tar_bytes([("etc", None), ("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"), ("bin", None),
                    ("bin/sh", "->dash"), ("bin/dash", b"\x7fELF" + b"x" * 5000)])
LAYER2 = tar_bytes([("server", b"\x7fELF" + bytes(range(256)) * 400)])
CONFIG = json.dumps({"rootfs": {"type": "layers", "diff_ids": [digest(LAYER1), digest(LAYER2), digest(LAYER1)]}}).encode()


def legacy_save():
    """Docker before 25: ID/layer.tar, a repeated layer as a link."""
    manifest = [{"Config": "abc.json", "RepoTags": ["x:latest"],
                 "Layers": ["l1/layer.tar", "l2/layer.tar", "l3/layer.tar"]}]
    return outer_tar([("l1/layer.tar", LAYER1), ("l2/layer.tar", LAYER2), ("abc.json", CONFIG),
                      ("manifest.json", json.dumps(manifest).encode())], links=[("l3/layer.tar", "../l1/layer.tar")])


def oci_save(compress, with_manifest_json):
    """Docker 25 and later: the OCI layout, layers gzip-compressed as the
    containerd store keeps them, or not, as the classic store writes them."""
    layers = [gzip.compress(layer, mtime=0) if compress else layer for layer in (LAYER1, LAYER2)]
    manifest = json.dumps({"schemaVersion": 2, "config": {"digest": digest(CONFIG)},
                           "layers": [{"digest": digest(layers[0])}, {"digest": digest(layers[1])},
                                      {"digest": digest(layers[0])}]}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [{"digest": digest(manifest)}]}).encode()
    blob = lambda data: ("blobs/sha256/" + digest(data)[7:], data)  # noqa: E731
    files = [blob(layers[0]), blob(layers[1]), blob(CONFIG), blob(manifest), ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
             ("index.json", index)]
    if with_manifest_json:
        files.append(("manifest.json", json.dumps([{"Config": blob(CONFIG)[0], "Layers": [blob(layers[0])[0], blob(layers[1])[0], blob(layers[0])[0]]}]).encode()))
    return outer_tar(files)


def measure(stream):
    found, config = imagesave.read_save(stream, imagesave.layer_sizes)
    return [layer[0] for layer in found], [layer[1] for layer in found], config


class ReadSaveTests(unittest.TestCase):
    def check(self, stream):
        unpacked, tars, config = measure(stream)
        self.assertEqual(len(unpacked), 3, "three layers, the repeated one too")
        self.assertEqual(unpacked[0], unpacked[2])
        self.assertEqual(tars, [len(LAYER1), len(LAYER2), len(LAYER1)])
        self.assertEqual(config["rootfs"]["diff_ids"][1], digest(LAYER2))
        return unpacked

    def test_legacy_layout(self):
        self.assertEqual(self.check(legacy_save()), self.check(oci_save(False, True)))

    def test_oci_layout_gzip_layers_as_the_containerd_store_writes(self):
        self.assertEqual(self.check(oci_save(True, True)), self.check(legacy_save()))

    def test_oci_layout_without_manifest_json(self):
        self.assertEqual(self.check(oci_save(True, False)), self.check(legacy_save()))

    def test_unpacked_size_counts_files_and_link_targets(self):
        unpacked, _, _ = measure(legacy_save())
        self.assertEqual(unpacked[0], len(b"root:x:0:0::/root:/bin/sh\n") + len("dash") + 5004)
        self.assertEqual(unpacked[1], 4 + 256 * 400)

    def test_compressed_size_is_gzip_6_of_each_layer_tar(self):
        found, _ = imagesave.read_save(oci_save(True, True), imagesave.layer_sizes)
        for (_, _, compressed), layer in zip(found, (LAYER1, LAYER2, LAYER1)):
            expected = len(zlib.compress(layer, 6))
            # pigz and zlib differ by a few bytes of framing and blocking.
            self.assertLess(abs(compressed - expected), 64 + expected // 100)

    def test_unpacked_alone_compresses_nothing_and_finds_the_same_sizes(self):
        found, _ = imagesave.read_save(oci_save(True, True), lambda stream: imagesave.layer_sizes(stream, False))
        self.assertEqual([layer[2] for layer in found], [None, None, None])
        self.assertEqual([layer[0] for layer in found], measure(oci_save(True, True))[0])

    def test_an_empty_layer_is_a_layer(self):
        empty = tar_bytes([])
        manifest = [{"Config": "abc.json", "Layers": ["l1/layer.tar", "l2/layer.tar"]}]
        stream = outer_tar([("l1/layer.tar", LAYER1), ("l2/layer.tar", empty), ("manifest.json", json.dumps(manifest).encode())])
        found, _ = imagesave.read_save(stream, imagesave.layer_sizes)
        self.assertEqual([layer[0] for layer in found][1], 0)
        self.assertEqual(len(found), 2)

    def test_a_missing_layer_is_an_error_not_a_key_error(self):
        manifest = [{"Config": "abc.json", "Layers": ["l1/layer.tar", "gone/layer.tar"]}]
        stream = outer_tar([("l1/layer.tar", LAYER1), ("manifest.json", json.dumps(manifest).encode())])
        with self.assertRaisesRegex(imagesave.SaveError, "no layer gone/layer.tar"):
            imagesave.read_save(stream, imagesave.layer_sizes)

    def test_zstd_layers_say_so(self):
        stream = outer_tar([("blobs/sha256/aa", imagesave.ZSTD_MAGIC + b"\0" * 600)])
        with self.assertRaisesRegex(imagesave.SaveError, "zstd"):
            imagesave.read_save(stream, imagesave.layer_sizes)

    def test_neither_manifest_nor_index(self):
        with self.assertRaisesRegex(imagesave.SaveError, "neither manifest.json nor an OCI index"):
            imagesave.read_save(outer_tar([("l1/layer.tar", LAYER1)]), imagesave.layer_sizes)


class GunzipTests(unittest.TestCase):
    def test_concatenated_members(self):
        data = gzip.compress(b"a" * 3000) + gzip.compress(b"b" * 3000)
        stream = imagesave.Gunzip(io.BytesIO(data))
        self.assertEqual(stream.read(), b"a" * 3000 + b"b" * 3000)

    def test_small_reads(self):
        payload = os.urandom(200000)
        stream = imagesave.Gunzip(io.BytesIO(gzip.compress(payload)))
        got = b""
        while True:
            chunk = stream.read(777)
            if not chunk:
                break
            got += chunk
        self.assertEqual(got, payload)


if __name__ == "__main__":
    unittest.main()
