"""Seamless tiling: circular padding on every 2-D convolution of the UNet and the VAE.

A1111's ``apply_circular`` switches ``padding_mode`` of all ``Conv2d`` layers; here it is scoped
to one generation and the previous modes are put back afterwards, whatever happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def circular_padding(*models, enabled: bool = True) -> Iterator[None]:
    import torch

    convs = [m for model in models if model is not None for m in model.modules()
             if isinstance(m, torch.nn.Conv2d)] if enabled else []
    before = [conv.padding_mode for conv in convs]
    for conv in convs:
        conv.padding_mode = "circular"
    try:
        yield
    finally:
        for conv, mode in zip(convs, before):
            conv.padding_mode = mode
