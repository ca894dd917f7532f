"""Bridge to PyTorch: patch a model so every Linear runs on a substrate; the offline model zoo."""
