"""Municipality catalogue and comparable-municipality recommendations.

``extract.build_catalogue(documents, passages)`` turns the corpus into a ``model.Catalogue``
of ``model.Municipality`` records (type, Land, population, facts with sources, projects,
themes, passages); ``recommend.recommend`` ranks comparable municipalities, with practice
evidence from the hybrid search (``entity_rank.PracticeRanker``) and structure data from
the documents and GeoNames. Import from the submodules: the package re-exports nothing,
so a submodule importing a sibling (``from index.municipalities import gazetteer``) never
runs into a half-initialised package.
"""
