"""Socket peers written with Python's AnyIO, for anyio's interoperability
tests.

    python3 socket_peer.py receive-fds PATH
        listens on the UNIX socket PATH, prints "ready", accepts one
        connection, receives a message with up to 2 file descriptors
        (receive_fds), prints "MESSAGE|CONTENTS" (the contents of the files,
        concatenated) and exits.

    python3 socket_peer.py udp-echo
        binds a UDP socket on 127.0.0.1, prints "port N", answers one
        datagram with its upper-case copy, sent back to the sender, and
        exits.

    python3 socket_peer.py udp-client PORT
        sends b"ping" to 127.0.0.1:PORT from a new UDP socket, prints the
        answer and the address it came from as "ANSWER from HOST:PORT".
"""

import os
import sys

import anyio
from anyio.abc import SocketAttribute


async def receive_fds(path):
    async with await anyio.create_unix_listener(path) as listener:
        print("ready", flush=True)
        stream = await listener.accept()
        async with stream:
            message, fds = await stream.receive_fds(10, 2)
    contents = b""
    for fd in fds:
        with os.fdopen(fd, "rb") as f:
            contents += f.read()
    print(message.decode() + "|" + contents.decode(), flush=True)


async def udp_echo():
    async with await anyio.create_udp_socket(local_host="127.0.0.1") as udp:
        port = udp.extra(SocketAttribute.local_port)
        print("port", port, flush=True)
        data, (host, port) = await udp.receive()
        await udp.sendto(data.upper(), host, port)


async def udp_client(port):
    async with await anyio.create_udp_socket(local_host="127.0.0.1") as udp:
        await udp.sendto(b"ping", "127.0.0.1", port)
        data, (host, port) = await udp.receive()
        print("%s from %s:%d" % (data.decode(), host, port), flush=True)


def main():
    command = sys.argv[1]
    if command == "receive-fds":
        anyio.run(receive_fds, sys.argv[2])
    elif command == "udp-echo":
        anyio.run(udp_echo)
    else:
        anyio.run(udp_client, int(sys.argv[2]))


if __name__ == "__main__":
    main()
