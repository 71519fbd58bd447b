"""The one place a paho client is built from the config's ``[mqtt]`` (docs/architecture.md,
"Services"): the collector and the simulator both connect through it, so both speak MQTT 5
or 3.1.1, authenticate with a password or a client certificate, and use TLS the same way."""

from __future__ import annotations

import ssl

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from museum.config import MqttConfig

#: ``[mqtt] protocol`` → paho's protocol version.
PROTOCOLS = {"5": MQTTProtocolVersion.MQTTv5, "3.1.1": MQTTProtocolVersion.MQTTv311}


def make_mqtt_client(
    config: MqttConfig, client_id: str, *, manual_ack: bool = False, persistent_session: bool = False
) -> mqtt.Client:
    """A paho client for the configured broker: the configured protocol, credentials from the
    environment (already in ``config``), TLS for ``mqtts://`` (CA and client certificate if
    given), reconnect backoff 1–30 s.

    ``persistent_session`` asks the broker to keep the session (subscriptions and queued
    messages) across disconnections. MQTT 3.1.1 sets it here (``clean_session=False``);
    MQTT 5 sets it when connecting (``clean_start=False`` with a session expiry), so the
    client is built without it."""
    protocol = PROTOCOLS[config.protocol]
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=protocol,
        clean_session=None if protocol == MQTTProtocolVersion.MQTTv5 else not persistent_session,
        manual_ack=manual_ack,
    )
    if config.username:
        client.username_pw_set(config.username, config.password)
    if config.tls:
        client.tls_set(ca_certs=config.ca_file, certfile=config.cert_file, keyfile=config.key_file,
                       cert_reqs=ssl.CERT_REQUIRED)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client
