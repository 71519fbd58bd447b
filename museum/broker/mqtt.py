"""The one place a paho client is built from the config's ``[mqtt]`` (docs/architecture.md,
"Services"): the collector and the simulator both connect through it, so both speak MQTT 5
or 3.1.1, authenticate with a password or a client certificate, and use TLS the same way.

The client reads its plain TCP socket through :class:`BufferedReceiveSocket`: paho 2.2
asks the socket for one byte for a packet's type, one for each byte of its length, then
the rest, three or more ``recv`` system calls for every message; the wrapper serves them
from one large read (docs/collector.md, "The cost of one message")."""

from __future__ import annotations

import socket
import ssl
import struct
from collections.abc import Iterable, Iterator
from typing import Any, cast

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.matcher import MQTTMatcher

from museum.description.config import MqttConfig

#: A PUBACK without reason code or properties, the same in MQTT 3.1.1 and 5 (MQTT 5.0,
#: 3.4.2.1: a remaining length of 2 means "Success"): type 4, length 2, packet id.
_PUBACK = struct.Struct("!BBH")
_PUBACK_TYPE = 0x40

#: ``[mqtt] protocol`` → paho's protocol version.
PROTOCOLS = {"5": MQTTProtocolVersion.MQTTv5, "3.1.1": MQTTProtocolVersion.MQTTv311}

#: Bytes asked of the kernel at once: hundreds of small messages, and no more memory held
#: than one socket receive buffer's worth.
RECEIVE_CHUNK_BYTES = 64 * 1024
#: Packets read from the buffer in one turn of paho's loop, without a ``select`` each;
#: bounded so that acknowledgements and keepalives go out in between.
HELD_PACKETS_PER_TURN = 100


class BufferedReceiveSocket:
    """A TCP socket whose ``recv(n)`` is served from what one ``recv`` of
    :data:`RECEIVE_CHUNK_BYTES` brought in, refilled only when empty. ``pending()`` is the
    count of bytes held, which paho's loop honours (as it does for a TLS socket): it reads
    on without waiting in ``select`` while any are held. Everything but ``recv`` goes to
    the socket itself, so the connection's state (blocking, timeouts, closing) is the
    socket's alone.

    The socket's own answers pass through unchanged when nothing is held: ``b""`` for a
    connection closed by the peer, ``BlockingIOError`` for a non-blocking socket with
    nothing to read, ``OSError`` for a failed one."""

    __slots__ = ("_at", "_held", "_sock")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._held = b""  # the last chunk read, served from offset _at on
        self._at = 0

    def recv(self, bufsize: int) -> bytes:
        at = self._at
        held = self._held
        if at == len(held):
            chunk = self._sock.recv(max(bufsize, RECEIVE_CHUNK_BYTES))
            if len(chunk) <= bufsize:  # all of it wanted (or b"": closed): no copy, nothing held
                self._held, self._at = b"", 0
                return chunk
            self._held, held, at = chunk, chunk, 0
        end = at + bufsize
        if end >= len(held):  # the rest of what is held; the next call reads again
            self._held, self._at = b"", 0
            return held[at:] if at else held
        self._at = end
        return held[at:end]

    def pending(self) -> int:
        """Bytes received from the kernel and not yet handed out."""
        return len(self._held) - self._at

    # The calls paho makes per packet, defined here to spare a __getattr__ each.
    def send(self, data: bytes | bytearray | memoryview, flags: int = 0) -> int:
        return self._sock.send(data, flags)

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._held, self._at = b"", 0
        self._sock.close()

    def __getattr__(self, name: str) -> Any:  # setblocking, settimeout, getpeername, …
        if name in BufferedReceiveSocket.__slots__:  # not set yet (a copy): no endless recursion
            raise AttributeError(name)
        return getattr(self._sock, name)

    def __repr__(self) -> str:
        return f"<BufferedReceiveSocket {self._sock!r}, {self.pending()} bytes held>"


class _TopicCallbacks(MQTTMatcher):
    """paho's per-topic callbacks (``message_callback_add``), answering at once while there
    are none: paho asks for every message, and the empty tree's walk was 5 % of the CPU of
    a burst."""

    def iter_match(self, topic: str) -> Iterator[Any]:
        if not self._root._children:
            return iter(())
        return cast(Iterator[Any], super().iter_match(topic))


class BufferedClient(mqtt.Client):
    """paho's client reading a plain TCP (or Unix) socket through
    :class:`BufferedReceiveSocket`. A TLS socket is left as paho makes it: OpenSSL reads
    whole records already and the socket has its own ``pending()``; so is paho's
    websocket wrapper, which buffers too.

    Each turn of paho's loop (a ``select``, then one packet read, the writes, the keepalive)
    also reads up to :data:`HELD_PACKETS_PER_TURN` packets more while the buffer holds
    bytes: a ``select`` per message was the largest single cost of a burst.

    This relies on internals of paho 2.2 (pinned in pyproject.toml; tests/test_mqtt.py
    fails if one changes): ``Client._create_socket()`` makes the connection's socket,
    ``Client._loop`` reads without ``select`` while ``socket.pending()`` is non-zero and
    calls ``loop_read``, ``Client._packet_queue`` queues bytes to send, and
    ``Client._on_message_filtered`` holds the per-topic callbacks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_message_filtered = _TopicCallbacks()

    def _create_socket(self) -> Any:
        sock = super()._create_socket()
        if type(sock) is socket.socket:  # not an ssl.SSLSocket (a subclass), not a websocket
            return BufferedReceiveSocket(sock)
        return sock

    def ack_qos1(self, mids: Iterable[int]) -> None:
        """Acknowledge QoS 1 messages (``manual_ack``) in one packet write: ``ack(mid, 1)``
        queues a 4-byte PUBACK and wakes the loop for each, then sends each with its own
        system call. The bytes on the wire are the same."""
        if not self._manual_ack:
            return
        pack = _PUBACK.pack
        packets = b"".join([pack(_PUBACK_TYPE, 2, mid) for mid in mids])
        if packets:
            self._packet_queue(_PUBACK_TYPE, packets, 0, 0)

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        rc = super().loop_read(max_packets)
        sock = self._sock
        if not isinstance(sock, BufferedReceiveSocket):
            return rc
        pending = sock.pending
        for _ in range(HELD_PACKETS_PER_TURN):
            # A failure has closed the socket (and reported it); a partial packet has
            # emptied the buffer: either way the loop's select decides what comes next.
            if rc != mqtt.MQTT_ERR_SUCCESS or not pending() or self._sock is not sock:
                break
            rc = super().loop_read(max_packets)
        return rc


def make_mqtt_client(
    config: MqttConfig, client_id: str, *, manual_ack: bool = False, persistent_session: bool = False
) -> BufferedClient:
    """A paho client for the configured broker: the configured protocol, credentials from the
    environment (already in ``config``), TLS for ``mqtts://`` (CA and client certificate if
    given), reconnect backoff 1–30 s.

    ``persistent_session`` asks the broker to keep the session (subscriptions and queued
    messages) across disconnections. MQTT 3.1.1 sets it here (``clean_session=False``);
    MQTT 5 sets it when connecting (``clean_start=False`` with a session expiry), so the
    client is built without it."""
    protocol = PROTOCOLS[config.protocol]
    client = BufferedClient(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=protocol,
        clean_session=None if protocol == MQTTProtocolVersion.MQTTv5 else not persistent_session,
        manual_ack=manual_ack,
    )
    if config.username:
        client.username_pw_set(config.username, config.password)
    if config.tls:
        client.tls_set(
            ca_certs=config.ca_file,
            certfile=config.cert_file,
            keyfile=config.key_file,
            cert_reqs=ssl.CERT_REQUIRED,
        )
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client
