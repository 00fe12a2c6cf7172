"""Datasets in and out: JSON/YAML loading with positions, the bundled files, the synthetic generator."""
