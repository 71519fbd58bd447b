"""Simulated display cases and sensors that publish to MQTT exactly as hardware would."""
