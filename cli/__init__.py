"""The `dre` command line: the top of the layers (it may import api, actors, kernels, bench, dre)."""
