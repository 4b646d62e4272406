#!/usr/bin/env python3
"""Write the seeds of fuzz_proxy (its header comment gives the format) into
tests/fuzz/corpus/proxy/. Run from the top of the tree."""
import os
import random
import struct

OUT = "tests/fuzz/corpus/proxy"
UVA = 0x7F0000000000
REPLY, NEED = 0x4, 0x8


def msg(req, payload=b"", flags=0):
    return struct.pack("<III", req, 1 | flags, len(payload)) + payload


def op(code, body):
    return bytes([code]) + struct.pack("<H", len(body)) + body


# op bit 6: sizes fitted to the request, so that mutated request codes
# still make well-formed messages
def fe(req, payload=b"", flags=0):
    return op(0x40, msg(req, payload, flags))


def be(req, payload=b"", flags=REPLY):
    return op(0x41, msg(req, payload, flags))


u64 = lambda v: struct.pack("<Q", v)
state = lambda i, n: struct.pack("<II", i, n)


def gmem(f, off, data):
    return bytes([4, f]) + struct.pack("<IH", off, len(data)) + data


def kick(q):
    return bytes([5, q])


def done(q, n, length):
    return bytes([6, q, n]) + struct.pack("<I", length)


def region(gpa, size, uva, off):
    return struct.pack("<QQQQ", gpa, size, uva, off)


def setup(q=2, kickfd=True, features=(1 << 32) | (1 << 28) | (1 << 30),
          base=0):
    s = fe(1) + be(1, u64(features | 0x7 | (1 << 29)))
    s += fe(2, u64(features))
    s += fe(15) + be(15, u64(1 | 8 | (1 << 5) | (1 << 9) | (1 << 15)))
    s += fe(16, u64(1 | 8 | (1 << 15)))
    s += fe(17) + be(17, u64(4))
    s += fe(3)
    s += fe(5, struct.pack("<II", 1, 0) + region(0, 0x40000, UVA, 0), NEED)
    s += be(5, u64(0))
    s += fe(8, state(q, 8)) + fe(10, state(q, base))
    s += fe(9, struct.pack("<IIQQQQ", q, 0, UVA + 0x1000, UVA + 0x3000,
                           UVA + 0x2000, 0))
    s += fe(13, u64(q)) + fe(14, u64(q))
    s += fe(12, u64(q if kickfd else q | 0x100))
    s += fe(18, state(q, 1))
    return s


def setup_packed(q=2):
    # VERSION_1 | RING_PACKED | EVENT_IDX | INDIRECT; packed base: both
    # wrap counters 1 (vhost-user.rst "vring descriptor indices")
    return setup(q, features=(1 << 32) | (1 << 34) | (1 << 28) | (1 << 29),
                 base=0x80008000)


def pdesc(addr, length, bid, flags):
    return struct.pack("<QIHH", addr, length, bid, flags)


def chain_packed():
    # slot 0: the request header (NEXT), slot 1: response + data-in
    # (WRITE), buffer id 5; AVAIL set, USED clear: available in wrap 1
    return (gmem(0, 0x4000, REQ) +
            gmem(0, 0x1010, pdesc(0x5000, 108 + 512, 5, 2 | 0x80)) +
            gmem(0, 0x1000, pdesc(0x4000, len(REQ), 5, 1 | 0x80)))


def desc(addr, length, flags, nxt):
    return struct.pack("<QIHH", addr, length, flags, nxt)


# virtio-scsi request: LUN 1:0:0, tag 1, simple, READ(10) of 1 block
REQ = (bytes([1, 0, 0x40, 0, 0, 0, 0, 0]) + struct.pack("<Q", 1) +
       bytes([0, 0, 0]) + bytes([0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0]) +
       bytes(22))


def chain_direct():
    return (gmem(0, 0x1000, desc(0x4000, len(REQ), 1, 1) +
                 desc(0x5000, 108 + 512, 2, 0)) +
            gmem(0, 0x4000, REQ) +
            gmem(0, 0x2000, struct.pack("<HHH", 0, 1, 0)))


def chain_indirect():
    return (gmem(0, 0x1000, desc(0x6000, 32, 4, 0)) +
            gmem(0, 0x6000, desc(0x4000, len(REQ), 1, 1) +
                 desc(0x5000, 108, 2, 0)) +
            gmem(0, 0x4000, REQ) +
            gmem(0, 0x2000, struct.pack("<HHH", 0, 1, 0)))


def stop(q=2, base=1):
    return fe(11, state(q, 0)) + be(11, state(q, base))


seeds = {}
seeds["setup"] = bytes([0x01]) + setup()
seeds["kick"] = (bytes([0x03]) + setup() + chain_direct() + kick(2) +
                 done(2, 1, 108 + 512) + stop())
seeds["indirect"] = (bytes([0x04]) + setup() + chain_indirect() + kick(2) +
                     stop(base=1) + done(2, 1, 108))
seeds["packed"] = (bytes([0x03]) + setup_packed() + chain_packed() +
                   kick(2) + done(2, 1, 108 + 512) + stop(base=0x80008000))
seeds["polled"] = (bytes([0x08]) + setup(kickfd=False) + chain_direct() +
                   bytes([10]) + done(2, 1, 7) + bytes([10]) +
                   fe(34) + setup())
full = struct.pack("<II", 8, 0) + b"".join(
    region(i << 24, 0x8000, UVA + (i << 24), (i >> 1) * 0x8000)
    for i in range(8))
seeds["fulltable"] = (bytes([0x00]) + fe(15) + be(15, u64(8 | (1 << 15))) +
                      fe(16, u64(8 | (1 << 15))) + fe(5, full, NEED) +
                      be(5, u64(0)) + be(37, u64(0)) +
                      fe(37, u64(0) + region(0x40000000, 0x1000,
                                             UVA + 0x40000000, 0x10000), NEED) +
                      be(37, u64(0)) + fe(38, u64(0) + region(
                          0x40000000, 0x1000, UVA + 0x40000000, 0x10000)))
seeds["channel"] = (bytes([0x05]) + fe(21) +
                    op(8, msg(2, b"", 1 | NEED)) + op(9, msg(2, u64(0), REPLY)) +
                    op(8, msg(4, u64(2))) + op(3, msg(1, u64(5), REPLY)[:15]))
# a 16 KiB data-out in the smallest queue: dropped, then told
seeds["drops"] = (bytes([0x09]) + setup() +
                  gmem(0, 0x1000, desc(0x4000, len(REQ), 1, 1) +
                       desc(0x8000, 0x4000, 1, 2) + desc(0x5000, 108, 2, 0)) +
                  gmem(0, 0x4000, REQ) +
                  gmem(0, 0x2000, struct.pack("<HHH", 0, 1, 0)) + kick(2) +
                  done(2, 1, 108) +
                  fe(38, u64(0) + region(0, 0x40000, UVA, 0)))
# the same steps in the harness's compact ops (RING 11, CTL 12)
ring = lambda w, q, v: bytes([11, w, q]) + struct.pack("<I", v)
ctl = lambda w, v: bytes([12, w]) + struct.pack("<I", v)
seeds["compact"] = (bytes([0x01]) + ctl(0, (1 << 28) | (1 << 29)) +
                    ctl(1, 8) + ctl(4 | 16, 0) + ctl(8, 5) +
                    ring(0, 2, 8) + ring(1, 2, 0) + ring(2, 2, 0x030201) +
                    ring(4, 2, 0) + ring(3, 2, 0) + chain_direct() + kick(2) +
                    done(2, 1, 620) + ring(6, 2, 0) + ring(7, 2, 1) +
                    ring(0, 2, 16) + ring(1, 2, 1) + ring(3, 2, 0) +
                    ctl(6, 0) + ctl(7, 0) + ctl(2, 0))
random.seed(7)
seeds["garbage"] = bytes(random.randrange(256) for _ in range(300))

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
