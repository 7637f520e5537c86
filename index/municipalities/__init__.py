"""Municipality catalogue and comparable-municipality recommendations.

``build_catalogue(documents, passages)`` turns the corpus into a ``Catalogue`` of
``Municipality`` records (type, Land, population, facts with sources, projects,
themes, passages); ``recommend`` ranks comparable municipalities, with practice evidence from the hybrid
search (``PracticeRanker``) and structure data from the documents and GeoNames.
"""

from index.municipalities.extract import build_catalogue
from index.municipalities.model import Catalogue, Municipality
from index.municipalities.entity_rank import PracticeRanker
from index.municipalities.recommend import CandidateFilter, Reason, Recommendation, recommend

__all__ = ["CandidateFilter", "Catalogue", "Municipality", "PracticeRanker", "Reason", "Recommendation",
           "build_catalogue", "recommend"]
