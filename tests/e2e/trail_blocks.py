#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Block surgery on an audit-trail segment, for the tamper test.

    trail_blocks.py SEGMENT count            number of blocks
    trail_blocks.py SEGMENT duplicate N      block N written twice
    trail_blocks.py SEGMENT swap N           blocks N and N+1 exchanged
    trail_blocks.py SEGMENT cut N            the file cut where block N starts
    trail_blocks.py SEGMENT delete N         block N removed

Headers are copied byte for byte, so each block keeps valid checksums:
only the order and sequence of blocks is wrong.
"""
import struct
import sys

BLK_HDR = 80


def blocks(data):
    hdr_len = struct.unpack_from("<H", data, 10)[0]
    off, out = hdr_len, []
    while off + BLK_HDR <= len(data):
        comp = struct.unpack_from("<I", data, off + 36)[0]
        out.append((off, off + BLK_HDR + comp))
        off += BLK_HDR + comp
    return hdr_len, out


def main():
    path, op = sys.argv[1], sys.argv[2]
    data = open(path, "rb").read()
    hdr_len, blks = blocks(data)
    if op == "count":
        print(len(blks))
        return
    n = int(sys.argv[3])
    parts = [data[a:b] for a, b in blks]
    if op == "duplicate":
        parts.insert(n, parts[n])
    elif op == "swap":
        parts[n], parts[n + 1] = parts[n + 1], parts[n]
    elif op == "cut":
        parts = parts[:n]
    elif op == "delete":
        del parts[n]
    else:
        sys.exit("unknown operation " + op)
    open(path, "wb").write(data[:hdr_len] + b"".join(parts))


main()
