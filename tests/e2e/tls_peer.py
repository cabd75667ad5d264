#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A TLS 1.3 receiver that checks the client's name after the handshake.

    tls_peer.py PORT CERT KEY CA NAME

Listens on 127.0.0.1:PORT with CERT and KEY and requires a client
certificate of CA. The handshake completes (and OpenSSL sends its session
tickets) before the server looks at the certificate, as rsyslog's
drivers do with a permitted peer: a client whose certificate's common
name is not NAME is closed on without a byte read, REFUSE_AFTER seconds
after the handshake (a server busy elsewhere for a moment). Every byte
read is counted; prints "listening" when ready and "read N" at each close.
"""
import socket
import ssl
import sys
import time

REFUSE_AFTER = 0.1


def common_name(cert):
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return None


def main():
    port, cert, key, ca, name = int(sys.argv[1]), *sys.argv[2:6]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(ca)
    ctx.verify_mode = ssl.CERT_REQUIRED
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", port))
    lst.listen(8)
    print("listening", flush=True)
    while True:
        conn, _ = lst.accept()
        got = 0
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
            if common_name(tls.getpeercert()) != name:
                time.sleep(REFUSE_AFTER)
            else:
                while True:
                    data = tls.recv(65536)
                    if not data:
                        break
                    got += len(data)
            tls.close()
        except (ssl.SSLError, OSError):
            conn.close()
        print("read %d" % got, flush=True)


if __name__ == "__main__":
    main()
