import pytest

pytest.importorskip("torch", reason="the spiking substrate needs torch (pip install 'wattlab[torch]')")
