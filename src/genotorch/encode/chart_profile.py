"""Coverage profiles read back from overlap-chart pictures (pile-o-grams), so a chart model learns the curve's
shape rather than one dataset's scale and styling.

An overlap chart plots, along one read (x), how many other reads overlap each position (y): one dark line on a
light background, no axes (the charts of Floreani's keras-chart-classifier / Overlapr, drawn with MPAndroidChart).
:func:`chart_profile` turns such a picture back into the curve:

* **ink** = pixels darker than ``ink_threshold`` (grey level 0-255, after RGBA is composited on white), whatever the
  line's colour, width or anti-aliasing;
* the curve's **x extent** = the first to the last inked column (a read's length maps to a different width in each
  chart: resampling to ``length`` bins removes it);
* the **baseline** (coverage 0) = the lowest inked row (the curve starts and ends at zero coverage);
* per column, the **top** and the **bottom** of the ink, as heights above the baseline in pixels (a sharp drop is
  drawn as a vertical run of ink, so top and bottom together keep it); columns without ink are interpolated;
* resampled to ``length`` bins: the top by its maximum and the bottom by its minimum in each bin, so a one-column
  drop to zero survives any down-sampling.

Output: ``float32 (2, length)``: channel 0 the top, channel 1 the bottom of the curve, in **pixels above the
baseline** (not normalised: :class:`genotorch.models.profile_cnn.ChartProfileCNN` divides by the curve's median
height itself, so a chart of another depth or vertical scale reads the same, and the training augmentation can
re-draw a curve at another depth first).

Errors: a picture with no ink raises :class:`genotorch.errors.GenotorchError` naming it (no curve to read).
"""

from __future__ import annotations

import numpy as np

from genotorch.errors import GenotorchError

CHANNELS = ["top", "bottom"]


def chart_profile(grey: np.ndarray, length: int | None = 256, ink_threshold: int = 200,
                  name: str = "chart") -> np.ndarray:
    """The coverage curve of a chart picture.

    Parameters
    ----------
    grey: ``uint8 (H, W)`` or ``(1, H, W)`` grey image at its native size (white background).
    length: bins of the output profile (None: one bin per drawn column, the curve at its native resolution).
    ink_threshold: grey levels below it are ink.
    name: the file, for the error message.

    Returns
    -------
    ``float32 (2, length)``: top and bottom of the curve per bin, pixels above the baseline.

    Raises
    ------
    GenotorchError
        No pixel darker than ``ink_threshold`` (a blank picture), or ``length`` < 8.
    """
    if length is not None and length < 8:
        raise GenotorchError(f"data.profile_length = {length}: give at least 8 bins")
    g = grey[0] if grey.ndim == 3 else grey
    ink = g < ink_threshold
    cols = np.nonzero(ink.any(axis=0))[0]
    if len(cols) == 0:
        raise GenotorchError(f"{name}: no curve in the picture (no pixel darker than grey level {ink_threshold}); "
                             "it is not an overlap chart, or it is blank")
    sub = ink[:, cols[0]:cols[-1] + 1]
    h = sub.shape[0]
    rows = np.arange(h)[:, None]
    has = sub.any(axis=0)
    top = np.where(sub, rows, h).min(axis=0)
    bottom = np.where(sub, rows, -1).max(axis=0)
    base = bottom.max()
    x = np.arange(sub.shape[1])
    top_h = np.interp(x, x[has], (base - top[has]).astype(np.float64))
    bot_h = np.interp(x, x[has], (base - bottom[has]).astype(np.float64))
    # bins [starts[i], starts[i+1]): whole columns each; a curve narrower than `length` repeats columns
    n = len(x)
    length = n if length is None else length
    starts = np.floor(np.arange(length) * n / length).astype(int)
    if n >= length:
        top_bins, bot_bins = np.maximum.reduceat(top_h, starts), np.minimum.reduceat(bot_h, starts)
    else:
        top_bins, bot_bins = top_h[starts], bot_h[starts]
    return np.stack([top_bins, bot_bins]).astype(np.float32)
