"""Municipality catalogue and comparable-municipality recommendations.

``build_catalogue(documents, passages)`` turns the corpus into a ``Catalogue`` of
``Municipality`` records (type, Land, population, facts with sources, projects,
themes, passages); ``recommend`` ranks comparable municipalities.
"""

from index.catalogue.extract import build_catalogue
from index.catalogue.model import Catalogue, Municipality
from index.catalogue.practice import PracticeVectors
from index.catalogue.recommend import Recommendation, recommend

__all__ = ["Catalogue", "Municipality", "PracticeVectors", "Recommendation", "build_catalogue", "recommend"]
