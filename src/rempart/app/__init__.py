"""Service layer: wires the pillars together for the CLI and (later) the dashboard."""
