"""Data shipped with the package: the embedded March 2023 plan used by the demo."""
