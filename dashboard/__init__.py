"""The conservators' dashboard (Streamlit). It reads through museum's store, never writes readings."""
