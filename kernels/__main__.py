"""``python -m kernels [--batch]``: compile the service's kernels (``--batch``: every kernel) into
numba's on-disk cache, once across processes (kernels.warmup.warmup_once)."""
import sys

from kernels.warmup import warmup_once

warmup_once(batch="--batch" in sys.argv[1:])
