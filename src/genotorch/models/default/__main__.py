"""python -m genotorch.models.default CHECKPOINT [OUT_DIR]: export a training checkpoint as the shipped model."""

import sys

from genotorch.models.default import HERE, export

if __name__ == "__main__":
    print(export(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else HERE))
