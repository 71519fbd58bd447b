"""What every part of Patina shares about the museum: config, InfluxDB schema and store, translations."""
