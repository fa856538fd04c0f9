"""The server the broker runs: the socket ``--workers N`` shares."""

from __future__ import annotations

import socket

import uvicorn

from contract_broker.__main__ import listening_socket


def test_the_shared_socket_is_tcp_so_answers_are_not_delayed() -> None:
    """asyncio sets TCP_NODELAY only on connections accepted from an IPPROTO_TCP socket."""
    sock = listening_socket(uvicorn.Config("contract_broker.__main__:served_app", port=0))
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.get_inheritable()
        sock.listen()
        with socket.create_connection(sock.getsockname()[:2]):
            accepted, _ = sock.accept()
            with accepted:
                assert accepted.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
