"""One inference runner for every modality: batching, device, mixed precision and progress.

``call`` (pileups), ``predict`` (images, sequences), ``embed``, ``evaluate-sequences`` and the test report after
training all go through :func:`run_batches`, so a model gives the same answer whichever command asks, on the CPU
or on CUDA (used whenever present; bfloat16 autocast there), whatever the batch size.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterable, Iterator

import numpy as np
import torch
from torch import nn

Activation = Callable[[torch.Tensor], torch.Tensor]
ACTIVATIONS: dict[str, Activation] = {
    "softmax": lambda z: torch.softmax(z, dim=1),
    "sigmoid": torch.sigmoid,
    "none": lambda z: z,
}


def inference_device() -> torch.device:
    """CUDA when a GPU is present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def run_batches(model: nn.Module, batches: Iterable, fn: Callable[[nn.Module, torch.Tensor], torch.Tensor] | None = None,
                device: torch.device | None = None, progress: Callable[[int, int], None] | None = None,
                total: int | None = None) -> Iterator[np.ndarray]:
    """Apply ``fn(model, x)`` (default ``model(x)``) to each batch, in eval mode without gradients.

    Parameters
    ----------
    batches: iterable of arrays or tensors, each ``(n, ...)`` (uint8 pileups/images or float one-hot)
    device: default :func:`inference_device`; on CUDA the forward pass runs under bfloat16 autocast
    progress: called as ``progress(batches_done, total)`` after each batch

    Yields
    ------
    np.ndarray, float32, one per batch: ``fn``'s output moved to the CPU.
    """
    device = device or inference_device()
    fn = fn or (lambda m, x: m(x))
    model.to(device).eval()
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else _Null()
    with torch.inference_mode(), autocast:
        for k, batch in enumerate(batches, 1):
            x = torch.as_tensor(np.ascontiguousarray(batch) if isinstance(batch, np.ndarray) else batch).to(device)
            yield fn(model, x).float().cpu().numpy()
            if progress:
                progress(k, total if total is not None else k)


@contextlib.contextmanager
def cpu_threads(n: int | None) -> Iterator[None]:
    """Run the block with torch's intra-op thread count set to ``n`` (None: leave it), restored afterwards.

    Raises
    ------
    ValueError
        ``n`` below 1.
    """
    if n is None:
        yield
        return
    if n < 1:
        raise ValueError(f"threads {n}: give 1 or more")
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def predict_array(model: nn.Module, inputs, batch_size: int = 256, activation: str = "softmax",
                  device: torch.device | None = None, progress: Callable[[int, int], None] | None = None
                  ) -> np.ndarray:
    """Outputs of ``model`` on ``inputs`` (an array, tensor or HDF5 dataset of ``N`` examples), ``batch_size`` at a
    time: ``(N, K)`` float64 after ``activation`` (``softmax``, ``sigmoid`` or ``none`` for logits).

    Raises
    ------
    ValueError
        ``batch_size`` below 1 or an unknown activation.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size {batch_size}: give 1 or more")
    act = ACTIVATIONS[activation]
    n = len(inputs)
    starts = range(0, n, batch_size)
    out = list(run_batches(model, (inputs[i:i + batch_size] for i in starts), lambda m, x: act(m(x).float()),
                           device, progress, len(starts)))
    return np.concatenate(out).astype(np.float64) if out else np.zeros((0, 0))
