#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A RELP receiver that takes only the first messages of a session.

    relp_peer.py PORT FILE ANSWER hint|refuse|dup|silent
    relp_peer.py PORT FILE ANSWER queue SECONDS

Takes one session on 127.0.0.1:PORT. Of the syslog messages, the first
ANSWER are appended to FILE (one per line, as rsyslogd's %rawmsg%
template writes them) and answered "200 OK". Then:

  hint    the rest are read and left unanswered, and the client's "close"
          gets the "serverclose" hint instead of an answer (what rsyslogd
          does as it stops, with messages read but not processed);
  refuse  the next one is answered "500 refused", and the rest "200 OK"
          without being kept; "close" is answered.
  dup     the answer to the last message kept is sent again in place of
          the next one's, the rest are left unanswered; "close" is
          answered (a stray answer: no message after the ANSWER kept was
          acknowledged).

The receiver then closes and exits. Prints "listening" when ready, and
at the end how many messages it kept.

  silent  accepts every connection and never reads or writes a byte
          (a server that hangs in the TLS handshake), until killed.
  queue   as silent, but its accept queue is full for SECONDS first (a
          backlog of 0 and a connection of its own): the kernel drops the
          client's SYN, and its connect completes at a retry after that.

Frames (RELP, as librelp's doc/relp.html gives them):
    TXNR SP COMMAND SP DATALEN [SP DATA] LF
"""
import socket
import sys
import time

OPEN_ANSWER = b"200 OK\nrelp_version=0\nrelp_software=relp_peer\ncommands=syslog"


def parse(buf):
    """The first whole frame of buf and the rest, or None when incomplete."""
    sp1 = buf.find(b" ")
    sp2 = buf.find(b" ", sp1 + 1)
    if sp1 < 0 or sp2 < 0:
        return None
    end_len = sp2 + 1
    while end_len < len(buf) and buf[end_len:end_len + 1].isdigit():
        end_len += 1
    if end_len >= len(buf):
        return None
    size = int(buf[sp2 + 1:end_len])
    start = end_len + 1 if size else end_len
    end = start + size
    if len(buf) <= end:
        return None
    if buf[end:end + 1] != b"\n":
        raise ValueError("a frame without its trailer: %r" % buf[:80])
    return (int(buf[:sp1]), buf[sp1 + 1:sp2].decode(), buf[start:end]), buf[end + 1:]


def frames(conn):
    """Yield (txnr, command, data) until the client closes."""
    buf = b""
    while True:
        got = parse(buf)
        if got:
            frame, buf = got
            yield frame
            continue
        try:
            more = conn.recv(65536)
        except ConnectionResetError:
            return
        if not more:
            return
        buf += more


def answer(conn, txnr, data):
    """Answer a frame; a client that went away (after a refusal) is fine."""
    try:
        conn.sendall(b"%d rsp %d %s\n" % (txnr, len(data), data))
    except (BrokenPipeError, ConnectionResetError):
        pass


def silent(lst):
    """Hold every connection open, saying nothing."""
    held = []
    while True:
        conn, _ = lst.accept()
        held.append(conn)


def queue(lst, port, seconds):
    """Fill the accept queue for seconds, then hold every connection."""
    own = socket.create_connection(("127.0.0.1", port))
    print("listening", flush=True)
    time.sleep(seconds)
    held = [own, lst.accept()]
    print("queue freed", flush=True)
    silent(lst)
    return held


def main():
    port, path, limit, mode = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", port))
    lst.listen(0 if mode == "queue" else 8)
    if mode == "queue":
        queue(lst, port, float(sys.argv[5]))
    print("listening", flush=True)
    if mode == "silent":
        silent(lst)
    conn, _ = lst.accept()
    lst.close()
    kept = seen = 0
    with open(path, "ab") as out:
        for txnr, cmd, data in frames(conn):
            if cmd == "open":
                answer(conn, txnr, OPEN_ANSWER)
            elif cmd == "syslog":
                seen += 1
                if seen <= limit:
                    out.write(data + b"\n")
                    out.flush()
                    kept += 1
                    answer(conn, txnr, b"200 OK")
                elif mode == "refuse":
                    answer(conn, txnr, b"500 refused" if seen == limit + 1 else b"200 OK")
                elif mode == "dup" and seen == limit + 1:
                    answer(conn, txnr - 1, b"200 OK")
            elif cmd == "close":
                if mode == "hint":
                    conn.sendall(b"0 serverclose 0\n")	# still connected: it waits
                else:
                    answer(conn, txnr, b"200 OK")
                break
    conn.close()
    print("kept %d" % kept, flush=True)


if __name__ == "__main__":
    main()
