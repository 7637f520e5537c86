"""Dense vector backends: the contract (``base``), the registry (``factory``), one module per backend."""

from index.ann.base import VectorIndex
from index.ann.factory import BACKENDS, check, create, dense_params, load

__all__ = ["BACKENDS", "VectorIndex", "check", "create", "dense_params", "load"]
