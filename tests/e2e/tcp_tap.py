#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A TCP relay on 127.0.0.1 that records what clients send.

    tcp_tap.py LISTEN_PORT TARGET_PORT FILE

Every connection to LISTEN_PORT is relayed to TARGET_PORT; the bytes the
client sent are appended to FILE, so a test can show what crossed the
wire (for TLS: nothing readable). Prints "listening" when ready.
"""
import socket
import sys
import threading

lock = threading.Lock()


def pump(src, dst, record):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if record:
                with lock, open(sys.argv[3], "ab") as f:
                    f.write(data)
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client):
    try:
        server = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    except OSError:
        client.close()
        return
    threading.Thread(target=pump, args=(client, server, True), daemon=True).start()
    threading.Thread(target=pump, args=(server, client, False), daemon=True).start()


def main():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", int(sys.argv[1])))
    ls.listen(16)
    open(sys.argv[3], "ab").close()
    print("listening", flush=True)
    while True:
        client, _ = ls.accept()
        serve(client)


if __name__ == "__main__":
    main()
