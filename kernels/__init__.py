"""Numba pricing kernels: promotion sets compiled into int64 arrays, priced without Python objects.

Public surface:
    KernelSet: the dre.pricing.PromotionSet implementation (evaluate, shard_candidates, resolve).
    compile_promotions, Compiled: promotions -> tables (kernels.layout) + vocabulary.
    price_batch, BatchResult: many baskets as flat CSR arrays in one parallel call.
    warmup: compile or load every kernel (``dre warmup``, Docker build).
    BEST_DEAL_NODE_LIMIT, BEST_DEAL_WORK_LIMIT: the best-deal search bounds per basket part.
"""
from kernels.batch import BatchResult, encode_batch, price_batch
from kernels.compile import Compiled, compile_promotions
from kernels.config import BEST_DEAL_NODE_LIMIT, BEST_DEAL_WORK_LIMIT
from kernels.promotion_set import KernelSet
from kernels.warmup import warmup

__all__ = ["BEST_DEAL_NODE_LIMIT", "BEST_DEAL_WORK_LIMIT", "BatchResult", "Compiled", "KernelSet",
           "compile_promotions", "encode_batch", "price_batch", "warmup"]
