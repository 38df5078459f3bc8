"""The memory plan: the fastest placement that fits the memory this process may really use."""

import pytest

from webui.runtime import (DECODE_WORKING, GIB, UNET_WORKING, WEIGHTS, plan_memory,
                           usable_vram)

TEXTS = ("text_encoder", "text_encoder_2")


@pytest.mark.parametrize("family, gib, expected", [
    ("sdxl", 24, ("none", ())),
    ("sdxl", 10, ("none", ())),
    ("sdxl", 8, ("parts", TEXTS)),      # the seed's 8 GB laptop: UNet and VAE stay, encoders visit
    ("sdxl", 7, ("parts", TEXTS)),
    ("sdxl", 6, ("model", ())),         # the UNet and the big text encoder no longer fit together
    ("sdxl", 4, ("sequential", ())),
    ("sd1", 8, ("none", ())),
    ("sd1", 3, ("none", ())),
    ("sd1", 2, ("sequential", ())),
    ("sd2", 3, ("parts", ("text_encoder",))),
])
def test_plan_by_limit(family, gib, expected):
    assert plan_memory(family, gib * GIB) == expected


@pytest.mark.parametrize("family", sorted(WEIGHTS))
def test_each_plan_fits_its_limit_and_more_memory_never_slows_it_down(family):
    order = ["none", "parts", "model", "sequential"]
    weights = WEIGHTS[family]
    previous = len(order)
    for limit in range(GIB // 2, 32 * GIB, GIB // 8):
        offload, visiting = plan_memory(family, limit)
        assert order.index(offload) <= previous  # more memory never picks a slower mode
        previous = order.index(offload)
        if offload in ("none", "parts"):
            resident = sum(size for name, size in weights.items() if name not in visiting)
            assert resident + UNET_WORKING[family] <= limit
            assert resident + DECODE_WORKING[family] + (weights["vae"] if "vae" in visiting else 0) <= limit
            if visiting:
                assert resident + sum(weights[n] for n in TEXTS if n in weights) <= limit


def test_unknown_family_is_planned_as_the_largest():
    assert plan_memory("future", 8 * GIB) == plan_memory("sdxl", 8 * GIB)


@pytest.mark.parametrize("free, total, fraction, expected", [
    (7 * GIB, 8 * GIB, 1.0, 7 * GIB),           # the context and the desktop take their share
    (130 * GIB, 140 * GIB, 8 / 140, 8 * GIB),   # a per-process fraction caps a big card
    (3 * GIB, 24 * GIB, 0.5, 3 * GIB),          # another process holds most of the card
])
def test_usable_vram(free, total, fraction, expected):
    assert usable_vram(free, total, fraction) == expected


def test_visitors_come_for_their_phase_and_leave_without_changing_the_image():
    """The "parts" placement on the tiny pipeline (on the CPU, so "the GPU" is a second copy)."""
    import numpy as np
    import torch

    import ldm
    from webui import visitors
    from webui.conditioning import encode_pair
    from webui.runtime import Runtime

    def image(pipe):
        positive, negative = encode_pair(pipe, "a cat", "", 1)
        visitors.release(pipe)
        out = pipe(prompt_embeds=positive.embeds, negative_prompt_embeds=negative.embeds,
                   num_inference_steps=1, width=64, height=64, output_type="np",
                   generator=torch.Generator("cpu").manual_seed(1))
        return out.images[0]

    plain = image(ldm.tiny_pipeline())
    pipe = ldm.tiny_pipeline()
    Runtime("cpu", False, "parts", ("text_encoder", "vae")).place(pipe)
    weight = pipe.text_encoder.get_input_embeddings().weight
    visitor = {v.module: v for v in pipe._sdsetup_visitors}
    assert set(visitor) == {pipe.text_encoder, pipe.vae}
    assert pipe._execution_device == torch.device("cpu")
    np.testing.assert_array_equal(image(pipe), plain)
    assert not visitor[pipe.text_encoder].away                          # sent home after encoding
    assert weight.data_ptr() == weight._sdsetup_home.data_ptr()         # no copy back: home is kept
    assert visitor[pipe.vae].away                                       # came over for the decode
    Runtime("cpu", False, "parts", ("text_encoder", "vae")).place(pipe)  # placing again: no twins
    assert len(pipe._sdsetup_visitors) == 2
