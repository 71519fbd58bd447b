"""museum/broker/mqtt.py: the client reads plain TCP through one buffer (BufferedReceiveSocket)
and loses, repeats or reorders nothing: on kernel sockets, then through a real Mosquitto
with messages whose packets straddle the buffer's refills, a burst of 20,000 QoS 1
messages, keepalive pings, a broker restart and TLS."""

from __future__ import annotations

import inspect
import random
import select
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.matcher import MQTTMatcher

from collector.ingest import connect_properties
from museum.broker.mqtt import RECEIVE_CHUNK_BYTES, BufferedClient, BufferedReceiveSocket, make_mqtt_client
from museum.description.config import MqttConfig
from patina.services import MosquittoServer
from tests.helpers import publish_all, wait_for


# --- the wrapper on kernel sockets --------------------------------------------------------
def test_pieces_of_any_size_across_refills_give_back_the_stream_exactly() -> None:
    data = random.Random(1).randbytes(3 * RECEIVE_CHUNK_BYTES + 123)
    ours, peer = socket.socketpair()

    def send_and_close() -> None:
        peer.sendall(data)
        peer.close()

    sender = threading.Thread(target=send_and_close)
    sender.start()
    wrapped = BufferedReceiveSocket(ours)
    sizes = [1, 1, 2, 5, 1000, RECEIVE_CHUNK_BYTES - 1, 7, RECEIVE_CHUNK_BYTES, 3, RECEIVE_CHUNK_BYTES + 1]
    pieces: list[bytes] = []
    for n in range(10_000):
        size = sizes[n % len(sizes)]
        piece = wrapped.recv(size)
        assert len(piece) <= size
        if not piece:
            break
        pieces.append(piece)
    sender.join()
    assert b"".join(pieces) == data
    assert wrapped.pending() == 0
    assert wrapped.recv(1) == b""  # closed by the peer: still b"", as the socket says
    wrapped.close()


def test_pending_counts_what_is_held_and_an_empty_socket_still_says_so() -> None:
    ours, peer = socket.socketpair()
    wrapped = BufferedReceiveSocket(ours)
    wrapped.setblocking(False)  # delegated to the socket
    assert ours.gettimeout() == 0.0
    with pytest.raises(BlockingIOError):
        wrapped.recv(1)
    peer.sendall(b"0123456789")
    assert select.select([wrapped], [], [], 5)[0] == [wrapped]
    assert wrapped.recv(1) == b"0"
    assert wrapped.pending() == 9  # held: the kernel has nothing left, paho must not wait in select
    assert select.select([wrapped], [], [], 0)[0] == []
    assert wrapped.recv(4) == b"1234"
    assert wrapped.recv(100) == b"56789"
    assert wrapped.pending() == 0
    with pytest.raises(BlockingIOError):
        wrapped.recv(1)
    peer.close()
    assert wrapped.recv(1) == b""


def test_everything_but_recv_is_the_sockets_own() -> None:
    ours, peer = socket.socketpair()
    wrapped = BufferedReceiveSocket(ours)
    assert wrapped.fileno() == ours.fileno()
    assert wrapped.getsockname() == ours.getsockname()
    assert wrapped.send(b"ping") == 4
    assert peer.recv(4) == b"ping"
    wrapped.close()
    assert ours.fileno() == -1
    peer.close()


def publish_packet(
    topic: bytes, payload: bytes, qos: int, mid: int = 0, properties: bytes | None = b"", flags: int = 0
) -> bytes:
    """A PUBLISH as a broker sends it (MQTT 5.0, 3.3; ``properties=None``: MQTT 3.1.1)."""
    body = len(topic).to_bytes(2, "big") + topic + (mid.to_bytes(2, "big") if qos else b"")
    if properties is not None:
        body += bytes([len(properties)]) + properties
    body += payload
    length, remaining = b"", len(body)
    while True:
        byte, remaining = remaining & 0x7F, remaining >> 7
        length += bytes([byte | (0x80 if remaining else 0)])
        if not remaining:
            break
    return bytes([0x30 | qos << 1 | flags]) + length + body


def test_whole_publishes_at_qos_0_and_1_are_taken_and_anything_else_left_for_paho() -> None:
    """take_publish parses what it may and leaves the buffer exactly as it was otherwise."""
    sender, receiver = socket.socketpair()
    wrapper = BufferedReceiveSocket(receiver)
    big = bytes(range(256)) * 3  # a remaining length of two bytes
    packets = [
        publish_packet(b"a/b", b"one", 1, mid=513),
        publish_packet(b"a/c", big, 0, flags=0x01),  # retained
        publish_packet(b"a/d", b"two", 1, mid=7, flags=0x08),  # dup
        publish_packet(b"a/e", b"qos2", 2, mid=9),
        publish_packet(b"a/f", b"expiry", 1, mid=10, properties=b"\x02\x00\x00\x00\x3c"),
        publish_packet(b"a/\xff", b"bad topic", 1, mid=11),
        publish_packet(b"", b"alias", 0),
        b"\xd0\x00",  # PINGRESP
        publish_packet(b"a/g", b"cut", 1, mid=12)[:-1],
    ]
    sender.sendall(b"\xd0\x00" + b"".join(packets))
    time.sleep(0.1)
    assert wrapper.recv(2) == b"\xd0\x00"  # as paho reads a PINGRESP: the rest is held now
    assert wrapper.take_publish(True) == (513, 1, "a/b", b"one", False, False)
    assert wrapper.take_publish(True) == (0, 0, "a/c", big, True, False)
    assert wrapper.take_publish(True) == (7, 1, "a/d", b"two", False, True)
    for left in packets[3:8]:
        held = wrapper.pending()
        assert wrapper.take_publish(True) is None and wrapper.pending() == held
        assert wrapper.recv(len(left)) == left  # what paho reads instead
    assert wrapper.take_publish(True) is None  # not all of it received yet
    assert wrapper.recv(100) == packets[-1]  # paho reads the start, then waits for the rest
    sender.sendall(b"t")
    assert wrapper.recv(100) == b"t"
    # MQTT 3.1.1: no properties' length.
    sender.sendall(b"\xd0\x00" + publish_packet(b"x/y", b"3.1.1", 1, mid=3, properties=None))
    time.sleep(0.1)
    assert wrapper.recv(2) == b"\xd0\x00"
    assert wrapper.take_publish(False) == (3, 1, "x/y", b"3.1.1", False, False)
    assert wrapper.pending() == 0 and wrapper.take_publish(False) is None
    sender.close()
    wrapper.close()


def test_paho_still_has_what_the_wrapper_relies_on() -> None:
    """paho-mqtt is pinned to 2.2 (pyproject.toml). If a new version renames the socket
    factory, the wrapper is silently unused; if its loop stops asking ``pending()``, held
    messages wait for the next bytes from the broker. Either must fail here, loudly."""
    assert "_create_socket" in vars(mqtt.Client)
    assert list(inspect.signature(mqtt.Client._create_socket).parameters) == ["self"]
    loop = inspect.getsource(mqtt.Client._loop)
    assert "self._sock.pending()" in loop and "pending_bytes > 0" in loop, loop
    assert "self.loop_read()" in loop, loop  # BufferedClient.loop_read reads on from the buffer
    # BufferedClient replaces the tree of per-topic callbacks with one that answers at once when empty.
    assert type(mqtt.Client(CallbackAPIVersion.VERSION2)._on_message_filtered) is MQTTMatcher
    assert MQTTMatcher()._root._children == {}
    # BufferedClient.ack_qos1 queues its PUBACKs as one packet.
    assert list(inspect.signature(mqtt.Client._packet_queue).parameters) == [
        "self",
        "command",
        "packet",
        "mid",
        "qos",
        "info",
    ]
    # BufferedClient._take_publishes: only between packets, as paho's read notes them, and
    # the time of the last bytes received for the keepalive.
    assert '"command": 0' in inspect.getsource(mqtt.Client._packet_read)
    assert "self._last_bytes_received = time_func()" in inspect.getsource(mqtt.Client._packet_read)
    assert "self._in_callback_mutex" in inspect.getsource(mqtt.Client._handle_on_message)
    # Errors from recv are turned into paho's codes by _sock_recv, whatever socket it is.
    assert "self._sock.recv(bufsize)" in inspect.getsource(mqtt.Client._sock_recv)


# --- through a real broker ----------------------------------------------------------------
class Receiver:
    """A client from the factory that keeps every message (topic, payload) in order and
    acknowledges it after keeping it, as the collector does."""

    def __init__(
        self,
        url: str,
        protocol: str,
        client_id: str,
        topic: str,
        keepalive_s: int = 30,
        config: MqttConfig | None = None,
        gate: threading.Event | None = None,
        acknowledge: bool = True,
        raw: bool = False,
    ) -> None:
        """``raw``: take messages through ``on_publish_raw`` (the collector's way), those
        it cannot take through ``on_message``; ``raw_count`` counts the first."""
        self.messages: list[tuple[str, bytes]] = []
        self.mids: list[int] = []
        self.acknowledge = acknowledge
        #: While not set, the first message holds paho's thread (and the rest wait in the kernel).
        self.gate = gate
        self.connects = 0
        self.disconnects = 0
        self.subscribed = threading.Event()
        self.lock = threading.Lock()
        self.topic = topic
        config = config or MqttConfig(url=url, client_id=client_id, protocol=protocol)
        self.client = make_mqtt_client(config, client_id, manual_ack=True, persistent_session=True)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.raw_count = 0
        if raw:
            self.client.on_publish_raw = self._on_publish_raw
        if config.protocol == "5":  # a session kept 5 min after a disconnection, as 3.1.1's
            self.client.connect(
                config.host,
                config.port,
                keepalive=keepalive_s,
                clean_start=False,
                properties=connect_properties(300),
            )
        else:
            self.client.connect(config.host, config.port, keepalive=keepalive_s)
        self.client.loop_start()
        assert self.subscribed.wait(15), "no subscription"

    def _on_connect(self, client: mqtt.Client, *args: object) -> None:
        self.connects += 1
        client.subscribe(self.topic, qos=1)

    def _on_disconnect(self, *args: object) -> None:
        self.disconnects += 1
        self.subscribed.clear()

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((message.topic, bytes(message.payload)))
            self.mids.append(message.mid)
        if self.gate is not None:
            assert self.gate.wait(30)
        if self.acknowledge:
            client.ack(message.mid, message.qos)

    def _on_publish_raw(
        self, mid: int, qos: int, topic: str, payload: bytes, retain: bool, dup: bool
    ) -> None:
        assert type(payload) is bytes and qos in (0, 1)
        with self.lock:
            self.messages.append((topic, payload))
            self.mids.append(mid)
            self.raw_count += 1
        if self.gate is not None:
            assert self.gate.wait(30)
        if self.acknowledge:
            self.client.ack(mid, qos)

    def flush_acknowledgements(self) -> None:
        """The broker answers packets in order: once it acknowledged a message published
        after them, it has processed every acknowledgement sent so far."""
        self.client.publish("test/mqtt/flush", b"", qos=1).wait_for_publish(10)

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@contextmanager
def receiving(url: str, protocol: str, client_id: str, topic: str, **options: object) -> Iterator[Receiver]:
    receiver = Receiver(url, protocol, client_id, topic, **options)  # type: ignore[arg-type]
    try:
        yield receiver
    finally:
        receiver.stop()


PROTOCOLS = pytest.mark.parametrize("protocol", ["5", "3.1.1"])
#: Through paho's own path for each message, or through the short one (on_publish_raw).
PATHS = pytest.mark.parametrize("raw", [False, True], ids=["paho", "raw"])


@PROTOCOLS
def test_the_factorys_client_reads_plain_tcp_through_the_buffer(
    mosquitto: MosquittoServer, protocol: str
) -> None:
    with receiving(mosquitto.url, protocol, f"wrap-{protocol}", "test/mqtt/wrap") as receiver:
        assert isinstance(receiver.client, BufferedClient)
        assert isinstance(receiver.client.socket(), BufferedReceiveSocket)


@PATHS
@PROTOCOLS
def test_messages_straddling_every_refill_arrive_whole_and_in_order(
    mosquitto: MosquittoServer, protocol: str, raw: bool
) -> None:
    """Sizes around MQTT's remaining-length steps (127/128, 16,383/16,384 bytes) and the
    buffer's 64 KiB, up to 200 KB, mixed with tiny ones so that packet boundaries, length
    bytes and bodies all fall on refills somewhere."""
    steps = [
        1,
        2,
        100,
        120,
        127,
        128,
        129,
        16_370,
        16_383,
        16_384,
        16_400,
        RECEIVE_CHUNK_BYTES - 20,
        RECEIVE_CHUNK_BYTES - 1,
        RECEIVE_CHUNK_BYTES,
        RECEIVE_CHUNK_BYTES + 1,
        2 * RECEIVE_CHUNK_BYTES,
        200_000,
    ]
    rng = random.Random(2)
    sizes = steps + [rng.choice([1, 7, 60, 300, 5_000, 70_000, 140_000]) for _ in range(300)] + steps
    payloads = [rng.randbytes(size) for size in sizes]
    topic = f"test/mqtt/sizes/{protocol}/{raw}"
    with receiving(mosquitto.url, protocol, f"sizes-{protocol}-{raw}", topic, raw=raw) as receiver:
        publish_all(mosquitto, [(topic, payload) for payload in payloads])
        wait_for(lambda: receiver.count() >= len(payloads), timeout_s=60)
        time.sleep(0.5)  # a duplicate would come right behind
        assert receiver.messages == [(topic, payload) for payload in payloads]


@PATHS
@PROTOCOLS
def test_a_burst_of_twenty_thousand_qos1_messages_arrives_once_in_order(
    mosquitto: MosquittoServer, protocol: str, raw: bool
) -> None:
    """Hundreds of small packets per refill, four topics interleaved."""
    topics = [f"test/mqtt/burst/{protocol}/{raw}/{n}" for n in range(4)]
    sequence = [(topics[k % 4], str(k // 4).encode()) for k in range(20_000)]
    with receiving(
        mosquitto.url,
        protocol,
        f"burst-{protocol}-{raw}",
        f"test/mqtt/burst/{protocol}/{raw}/+",
        keepalive_s=60,
        raw=raw,
    ) as receiver:
        publish_all(mosquitto, sequence)
        wait_for(lambda: receiver.count() >= len(sequence), timeout_s=60)
        time.sleep(0.5)
        messages = list(receiver.messages)
        # Nearly all through the short path; paho's for a packet cut by a refill.
        assert receiver.raw_count > (19_000 if raw else -1) and (raw or receiver.raw_count == 0)
    assert len(messages) == 20_000
    for topic in topics:
        assert [int(payload) for t, payload in messages if t == topic] == list(range(5_000))


@PATHS
@PROTOCOLS
def test_messages_held_in_the_buffer_are_read_without_waiting_for_more_bytes(
    mosquitto: MosquittoServer, protocol: str, raw: bool
) -> None:
    """paho's thread is held on the first message while 200 more reach the kernel; once
    released, one refill takes them all in and the broker sends nothing more. If paho's
    loop did not honour pending(), it would wait in select for bytes that never come:
    the next ones would be its PINGRESP, after the 60 s keepalive."""
    topic = f"test/mqtt/held/{protocol}/{raw}"
    gate = threading.Event()
    with receiving(
        mosquitto.url, protocol, f"held-{protocol}-{raw}", topic, keepalive_s=60, gate=gate, raw=raw
    ) as receiver:
        publish_all(mosquitto, [(topic, b"%d" % k) for k in range(201)])
        wait_for(lambda: receiver.count() >= 1)
        time.sleep(0.5)  # the broker has sent the rest: they wait in the socket
        assert receiver.count() == 1
        gate.set()
        wait_for(lambda: receiver.count() == 201, timeout_s=20)
        assert [payload for _, payload in receiver.messages] == [b"%d" % k for k in range(201)]


@PATHS
@PROTOCOLS
def test_acknowledgements_in_one_write_settle_exactly_the_messages_named(
    mosquitto: MosquittoServer, protocol: str, raw: bool
) -> None:
    """Half of 1,000 messages acknowledged by ack_qos1, then a disconnection: the broker
    sends back, on the resumed session, the other half and nothing else."""
    topic, client_id = f"test/mqtt/ack/{protocol}/{raw}", f"ack-{protocol}-{raw}"
    payloads = [b"%d" % k for k in range(1000)]
    with receiving(mosquitto.url, protocol, client_id, topic, acknowledge=False, raw=raw) as first:
        publish_all(mosquitto, [(topic, payload) for payload in payloads])
        wait_for(lambda: first.count() == 1000)
        first.client.ack_qos1(first.mids[::2])
        first.flush_acknowledgements()
    with receiving(mosquitto.url, protocol, client_id, topic, raw=raw) as second:
        wait_for(lambda: second.count() >= 500)
        time.sleep(0.5)
        assert [payload for _, payload in second.messages] == payloads[1::2]


def test_per_topic_callbacks_still_take_their_messages(mosquitto: MosquittoServer) -> None:
    filtered: list[bytes] = []

    def special(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        filtered.append(bytes(message.payload))

    with receiving(mosquitto.url, "5", "filtered", "test/mqtt/filtered/#") as receiver:
        receiver.client.message_callback_add("test/mqtt/filtered/+/special", special)
        publish_all(
            mosquitto,
            [
                ("test/mqtt/filtered/a/special", b"1"),
                ("test/mqtt/filtered/a/plain", b"2"),
                ("test/mqtt/filtered/b/special", b"3"),
            ],
        )
        wait_for(lambda: len(filtered) == 2 and receiver.count() == 1)
        assert filtered == [b"1", b"3"] and receiver.messages == [("test/mqtt/filtered/a/plain", b"2")]


def test_keepalive_pings_are_answered_through_the_buffer(mosquitto: MosquittoServer) -> None:
    """With a 1 s keepalive, paho pings and drops a connection whose answer does not come
    within a keepalive: an idle 4 s means several PINGRESPs read through the wrapper."""
    topic = "test/mqtt/keepalive"
    with receiving(mosquitto.url, "5", "keepalive", topic, keepalive_s=1) as receiver:
        time.sleep(4)
        publish_all(mosquitto, [(topic, b"after the pings")])
        wait_for(lambda: receiver.count() == 1)
        assert (receiver.connects, receiver.disconnects) == (1, 0)


@PROTOCOLS
def test_after_a_broker_restart_the_new_connection_is_read_from_scratch(
    tmp_path: Path, protocol: str
) -> None:
    broker = MosquittoServer(tmp_path / "broker")
    broker.start()
    topic = "test/mqtt/restart"
    try:
        with receiving(broker.url, protocol, f"restart-{protocol}", topic) as receiver:
            first_socket = receiver.client.socket()
            publish_all(broker, [(topic, b"a%d" % k) for k in range(500)])
            wait_for(lambda: receiver.count() == 500)
            receiver.flush_acknowledgements()  # else QoS 1 redelivers those in flight: a false failure
            broker.restart()  # recv gives b"": paho reconnects (1 s backoff) on a new socket
            wait_for(lambda: receiver.connects >= 2 and receiver.subscribed.is_set(), timeout_s=30)
            assert receiver.disconnects >= 1
            second_socket = receiver.client.socket()
            assert isinstance(second_socket, BufferedReceiveSocket) and second_socket is not first_socket
            publish_all(broker, [(topic, b"b%d" % k) for k in range(500)])
            wait_for(lambda: receiver.count() == 1000)
            time.sleep(0.5)
            assert [payload for _, payload in receiver.messages] == (
                [b"a%d" % k for k in range(500)] + [b"b%d" % k for k in range(500)]
            )
    finally:
        broker.stop()


def test_tls_sockets_are_left_as_paho_makes_them(tmp_path: Path) -> None:
    """OpenSSL reads whole records and SSLSocket has its own pending(): not wrapped."""
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.crt",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    broker = MosquittoServer(
        tmp_path / "tls-broker",
        settings={"certfile": str(tmp_path / "server.crt"), "keyfile": str(tmp_path / "server.key")},
    )
    broker.start()
    topic = "test/mqtt/tls"
    try:
        config = MqttConfig(
            url=f"mqtts://127.0.0.1:{broker.port}", client_id="tls", ca_file=str(tmp_path / "server.crt")
        )
        with receiving("", "5", "tls", topic, config=config) as receiver:
            assert isinstance(receiver.client.socket(), ssl.SSLSocket)
            sender = mqtt.Client(CallbackAPIVersion.VERSION2)
            sender.tls_set(ca_certs=str(tmp_path / "server.crt"))
            sender.connect("127.0.0.1", broker.port)
            sender.loop_start()
            sender.publish(topic, b"over TLS", qos=1).wait_for_publish(10)
            sender.disconnect()
            sender.loop_stop()
            wait_for(lambda: receiver.count() == 1)
            assert receiver.messages == [(topic, b"over TLS")]
    finally:
        broker.stop()
