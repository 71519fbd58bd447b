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
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.matcher import MQTTMatcher

from museum.description.config import MqttConfig

#: A PUBACK without reason code or properties, the same in MQTT 3.1.1 and 5 (MQTT 5.0,
#: 3.4.2.1: a remaining length of 2 means "Success"): type 4, length 2, packet id.
_PUBACK = struct.Struct("!BBH")
_PUBACK_TYPE = 0x40

#: A PUBLISH taken whole from the buffer: (packet id, QoS, topic, payload, retain, dup).
RawPublish = tuple[int, int, str, bytes, bool, bool]
#: What :attr:`BufferedClient.on_publish_raw` is called with, for each such PUBLISH.
RawPublishCallback = Callable[[int, int, str, bytes, bool, bool], None]

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

    def fill(self) -> bool:
        """With nothing held, read a chunk from the kernel (the socket is non-blocking);
        whether bytes are held now. Nothing to read, an error or the end of the stream
        leaves nothing held: the next ``recv`` (paho's) meets and reports them."""
        if self._at < len(self._held):
            return True
        try:
            chunk = self._sock.recv(RECEIVE_CHUNK_BYTES)
        except OSError:  # BlockingIOError too
            return False
        self._held, self._at = chunk, 0
        return bool(chunk)

    def take_publish(self, mqtt5: bool) -> RawPublish | None:
        """The next packet, if the buffer holds the whole of it and it is a PUBLISH at QoS 0
        or 1 with a UTF-8 topic and (MQTT 5) no properties: taken out of the buffer as
        (packet id, QoS, topic, payload, retain, dup). Anything else (another packet type,
        QoS 2, properties, a packet not all received) is left where it is, for paho."""
        held, at = self._held, self._at
        size = len(held)
        if at >= size:
            return None
        header = held[at]
        if header & 0xF6 not in (0x30, 0x32):  # PUBLISH (0x3_) at QoS 0 or 1, any dup/retain
            return None
        # The remaining length (MQTT 5.0, 1.5.5: up to four bytes of 7 bits, low first).
        length, shift, pos = 0, 0, at + 1
        while True:
            if pos >= size or shift > 21:
                return None
            byte = held[pos]
            pos += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        end = pos + length
        if end > size or length < 2:
            return None
        topic_end = pos + 2 + (held[pos] << 8 | held[pos + 1])
        qos = (header >> 1) & 3
        body = topic_end + 2 if qos else topic_end
        if body > end or topic_end == pos + 2:  # an empty topic: a topic alias, or malformed
            return None
        if mqtt5:
            if body >= end or held[body] != 0:  # properties present: paho decodes them
                return None
            body += 1
        try:
            topic = held[pos + 2 : topic_end].decode()
        except UnicodeDecodeError:
            return None
        mid = held[topic_end] << 8 | held[topic_end + 1] if qos else 0
        payload = held[body:end]
        if end == size:
            self._held, self._at = b"", 0
        else:
            self._at = end
        return mid, qos, topic, payload, bool(header & 1), bool(header & 8)

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
        #: Called instead of ``on_message`` with the parts of a PUBLISH read straight from
        #: the buffer (:meth:`BufferedReceiveSocket.take_publish`), without the message
        #: object, properties and logging paho builds for each; None: paho's path for all.
        #: Messages it cannot take (QoS 2, MQTT 5 properties, per-topic callbacks, a packet
        #: cut by a refill) still come to ``on_message``.
        self.on_publish_raw: RawPublishCallback | None = None

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
        if not isinstance(self._sock, BufferedReceiveSocket):
            return super().loop_read(max_packets)
        sock: BufferedReceiveSocket = self._sock
        rc = mqtt.MQTT_ERR_SUCCESS
        budget = HELD_PACKETS_PER_TURN
        while budget > 0:
            taken = self._take_publishes(sock, budget)
            budget -= taken
            if budget <= 0 or (taken and not sock.pending()):
                break
            rc = super().loop_read(max_packets)
            budget -= 1
            # A failure has closed the socket (and reported it); a partial packet has
            # emptied the buffer: either way the loop's select decides what comes next.
            if rc != mqtt.MQTT_ERR_SUCCESS or not sock.pending() or self._sock is not sock:
                break
        return rc

    def _take_publishes(self, sock: BufferedReceiveSocket, most: int) -> int:
        """Hand up to ``most`` whole PUBLISH packets held in the buffer to
        ``on_publish_raw``; returns how many. paho's own path costs ~25 µs a message (a
        ``recv`` per header byte, a message object, MQTT 5 properties, a debug log line);
        this one a few. Only between packets: paho may be in the middle of one."""
        callback = self.on_publish_raw
        if callback is None or self._in_packet["command"] != 0 or self._on_message_filtered._root._children:
            return 0
        if not sock.fill():
            return 0
        mqtt5 = self._protocol == mqtt.MQTTv5
        acknowledge = not self._manual_ack
        taken = 0
        with self._in_callback_mutex:
            while taken < most:
                packet = sock.take_publish(mqtt5)
                if packet is None:
                    break
                taken += 1
                callback(*packet)
                if acknowledge and packet[1] == 1:
                    self._send_puback(packet[0])
        if taken:
            # What paho's own read notes after each packet: the keepalive counts from it.
            with self._msgtime_mutex:
                self._last_bytes_received = mqtt.time_func()
        return taken


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
