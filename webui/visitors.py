"""Components that live in pinned RAM and visit the GPU only for their phase of a generation.

The memory plan (:func:`webui.runtime.plan_memory`) makes the text encoders, and on smaller
cards the VAE, visitors so that the UNet can stay on the GPU. A visitor is brought over by any
call into it (its forward or a direct child's, which covers ``vae.decode``) and sent home by
:func:`release`. Home is a pinned CPU copy of each weight made once: coming over is one fast
copy, going home frees the GPU copy without copying back (visitors are only read on the GPU).
"""

from __future__ import annotations

_ATTRIBUTE = "_sdsetup_visitors"


class Visitor:
    def __init__(self, module, device: str) -> None:
        self.module = module
        self.device = device
        self.away = False

    def _tensors(self):
        for sub in self.module.modules():
            yield from sub._parameters.values()
            yield from sub._buffers.values()

    def arrive(self) -> None:
        if self.away:
            return
        for tensor in self._tensors():
            if tensor is None:
                continue
            home = getattr(tensor, "_sdsetup_home", None)
            if home is None or tensor.device.type != "cpu" or tensor.dtype != home.dtype:
                home = tensor.data.to("cpu")
                tensor._sdsetup_home = home.pin_memory() if _can_pin(self.device) else home
            tensor.data = tensor._sdsetup_home.to(self.device, non_blocking=True)
        self.away = True

    def leave(self) -> None:
        if not self.away:
            return
        for tensor in self._tensors():
            if tensor is not None and getattr(tensor, "_sdsetup_home", None) is not None:
                tensor.data = tensor._sdsetup_home
        self.away = False


def _can_pin(device: str) -> bool:
    import torch

    return device == "cuda" and torch.cuda.is_available()


def attach(pipe, module, device: str) -> Visitor:
    """Make ``module`` a visitor of ``pipe`` (once); it starts at home, in RAM."""
    from accelerate.hooks import ModelHook, add_hook_to_module

    visitors = getattr(pipe, _ATTRIBUTE, None)
    if visitors is None:
        visitors = []
        setattr(pipe, _ATTRIBUTE, visitors)
    for known in visitors:
        if known.module is module:
            return known
    visitor = Visitor(module, device)
    module.to("cpu")

    class Arrive(ModelHook):
        # diffusers reads ``_hf_hook.execution_device`` to put latents on the GPU, not in RAM
        execution_device = device

        def pre_forward(self, module, *args, **kwargs):
            visitor.arrive()
            return args, kwargs

    add_hook_to_module(module, Arrive())
    for child in module.children():
        child.register_forward_pre_hook(lambda *_: visitor.arrive())
    visitors.append(visitor)
    return visitor


def release(pipe) -> None:
    """Send every visitor of ``pipe`` home; a no-op for pipelines without any."""
    for visitor in getattr(pipe, _ATTRIBUTE, ()):
        visitor.leave()
