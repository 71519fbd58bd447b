"""The collector service: MQTT subscription, payload decoding and validation, InfluxDB writer."""
