"""A TLS peer written with Python's AnyIO, for the interoperability tests of
anyio's tlsstream package.

    python3 tls_peer.py server CERT KEY
        listens on 127.0.0.1, prints "port N", serves one connection: TLS
        handshake as the server, receives a message, sends it back reversed,
        unwraps (closing handshake), sends b"plain:" + the reversed message
        in plaintext, receives b"bye" in plaintext, prints "ok".

    python3 tls_peer.py client CAFILE PORT
        connects to 127.0.0.1:PORT with TLS, checking the certificate for
        "localhost"; sends b"hello", expects b"HELLO", unwraps, expects
        b"plain text" in plaintext, sends b"bye" in plaintext, prints "ok".
"""

import ssl
import sys

import anyio
from anyio.abc import SocketAttribute
from anyio.streams.tls import TLSStream


async def receive_exactly(stream, size, first=b""):
    data = bytearray(first)
    while len(data) < size:
        data += await stream.receive()
    return bytes(data)


async def serve(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    multi = await anyio.create_tcp_listener(local_host="127.0.0.1")
    async with multi:
        listener = multi.listeners[0]
        port = listener.extra(SocketAttribute.local_port)
        print("port", port, flush=True)
        stream = await listener.accept()
        tls = await TLSStream.wrap(stream, server_side=True, ssl_context=context)
        message = await tls.receive()
        await tls.send(message[::-1])
        plain, rest = await tls.unwrap()
        await plain.send(b"plain:" + message[::-1])
        bye = await receive_exactly(plain, 3, rest)
        assert bye == b"bye", bye
        await plain.aclose()
    print("ok", flush=True)


async def connect(cafile, port):
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    tls = await anyio.connect_tcp(
        "127.0.0.1", port, tls=True, ssl_context=context, tls_hostname="localhost"
    )
    await tls.send(b"hello")
    reply = await receive_exactly(tls, 5)
    assert reply == b"HELLO", reply
    plain, rest = await tls.unwrap()
    text = await receive_exactly(plain, len(b"plain text"), rest)
    assert text == b"plain text", text
    await plain.send(b"bye")
    await plain.aclose()
    print("ok", flush=True)


def main():
    if sys.argv[1] == "server":
        anyio.run(serve, sys.argv[2], sys.argv[3])
    else:
        anyio.run(connect, sys.argv[2], int(sys.argv[3]))


if __name__ == "__main__":
    main()
