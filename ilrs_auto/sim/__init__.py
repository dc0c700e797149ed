"""Simulation: worlds from real terrain, rocks, rovers, sensors, and mission runs."""
