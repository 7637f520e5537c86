"""Dense vector backends behind one small contract (see ``base.VectorIndex``)."""

from index.ann.base import VectorIndex, create, load

__all__ = ["VectorIndex", "create", "load"]
