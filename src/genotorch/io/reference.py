"""Reference FASTA access (plain or bgzipped, indexed) through pysam.FastaFile.

Coordinates are 0-based half-open; bases are returned upper-case.
"""

from __future__ import annotations

from pathlib import Path

import pysam

from genotorch.errors import GenotorchError


class Reference:
    """An indexed reference genome.

    Parameters
    ----------
    path: str or Path
        FASTA, plain or bgzip-compressed, with ``.fai`` (and ``.gzi`` when compressed) beside it. A missing index
        is built when the folder is writable (pysam does that on open), otherwise an error says how to build it.

    Raises
    ------
    GenotorchError
        Missing file, gzip (not bgzip) compression, or an index that cannot be built.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise GenotorchError(f"reference {self.path} does not exist: check --ref")
        try:
            self._fa = pysam.FastaFile(str(self.path))
        except (OSError, ValueError) as e:
            raise GenotorchError(
                f"reference {self.path} cannot be opened ({e}); it must be plain or bgzip-compressed FASTA "
                f"with an index: `samtools faidx {self.path}` builds it"
            ) from None
        self.lengths: dict[str, int] = dict(zip(self._fa.references, self._fa.lengths))

    @property
    def contigs(self) -> list[str]:
        """Contig names in FASTA order."""
        return list(self._fa.references)

    def fetch(self, contig: str, start: int, end: int) -> str:
        """Upper-case bases of ``[start, end)``; positions outside the contig are returned as ``N``."""
        length = self.lengths[contig]
        lo, hi = max(0, start), min(length, end)
        seq = self._fa.fetch(contig, lo, hi).upper() if hi > lo else ""
        return "N" * (lo - start) + seq + "N" * (end - hi)

    def close(self) -> None:
        """Close the FASTA file."""
        self._fa.close()
