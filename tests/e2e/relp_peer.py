#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A RELP receiver that stops answering, as rsyslogd does when it stops.

    relp_peer.py PORT FILE ANSWER

Takes one session on 127.0.0.1:PORT. Of the syslog messages, the first
ANSWER are appended to FILE (one per line, as rsyslogd's %rawmsg%
template writes them) and answered "200 OK"; the rest are read and left
unanswered. When the client sends "close", the receiver sends the
"serverclose" hint instead of an answer and closes, then exits. Prints
"listening" when ready.

Frames (RELP, as librelp's doc/relp.html gives them):
    TXNR SP COMMAND SP DATALEN [SP DATA] LF
"""
import socket
import sys

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
        more = conn.recv(65536)
        if not more:
            return
        buf += more


def answer(conn, txnr, data):
    conn.sendall(b"%d rsp %d %s\n" % (txnr, len(data), data))


def main():
    port, path, limit = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", port))
    lst.listen(1)
    print("listening", flush=True)
    conn, _ = lst.accept()
    lst.close()
    answered = 0
    with open(path, "ab") as out:
        for txnr, cmd, data in frames(conn):
            if cmd == "open":
                answer(conn, txnr, OPEN_ANSWER)
            elif cmd == "syslog" and answered < limit:
                out.write(data + b"\n")
                out.flush()
                answer(conn, txnr, b"200 OK")
                answered += 1
            elif cmd == "close":
                conn.sendall(b"0 serverclose 0\n")
                break
    conn.close()
    print("answered %d" % answered, flush=True)


if __name__ == "__main__":
    main()
