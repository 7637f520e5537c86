"""The application object: what the API routes, the web pages, the CLI and plain Python
callers share.

It wires three parts and exposes their methods under one name:

- ``snapshots`` (``service.snapshots.SnapshotHolder``): loads, reloads and swaps the
  serving snapshot;
- ``passages`` (``service.passage_service.PassageService``): search with snippets and
  case examples, passages in context, documents;
- ``municipalities_service`` (``service.municipality_service.MunicipalityService``): the
  catalogue, municipality pages and comparable municipalities.

Every method returns plain dicts and lists (pydantic lives only in ``service.schemas``).
"""

from __future__ import annotations

from core.settings import Settings
from index.search import Searcher
from service.catalogue_port import CatalogueLike
from service.municipality_service import MunicipalityService
from service.passage_service import PassageService, reader_texts
from service.snapshots import SnapshotHolder

__all__ = ["Application", "reader_texts"]


class _via:  # noqa: N801 (used like a decorator-less property)
    """An attribute that forwards to ``self.<part>.<name>`` (a non-data descriptor, so tests
    can still replace it on one instance)."""

    def __init__(self, part: str, name: str):
        self.part, self.name = part, name
        self.__doc__ = f"``{part}.{name}``"

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return getattr(getattr(obj, self.part), self.name)


class Application:
    """The service's one object over the serving snapshot.

    :param settings: the settings of this process.
    :param embedder: the query encoder; loaded on first use when None.
    :param searcher: a fixed ``Searcher`` (tests, eval); never swapped by reloads.
    :param catalogue: replaces the snapshot's catalogue for the service features (case
        examples, municipality pages); the Searcher's municipality filters always use the
        snapshot's.
    """

    def __init__(self, settings: Settings, embedder=None, searcher: Searcher | None = None,
                 catalogue: CatalogueLike | None = None):
        self.settings = settings
        self.snapshots = SnapshotHolder(settings, embedder, searcher, catalogue)
        self.passages = PassageService(self.snapshots)
        self.municipalities_service = MunicipalityService(self.snapshots)

    # the snapshot holder
    embedder = _via("snapshots", "embedder")
    searcher = _via("snapshots", "searcher")
    catalogue = _via("snapshots", "catalogue")
    reload = _via("snapshots", "reload")
    readiness = _via("snapshots", "readiness")
    _failed_reload = _via("snapshots", "failed_reload")
    # searching, passages, documents
    search = _via("passages", "search")
    search_page = _via("passages", "search_page")
    passage = _via("passages", "passage")
    documents = _via("passages", "documents")
    document = _via("passages", "document")
    filter_options = _via("passages", "filter_options")
    # municipalities
    require_catalogue = _via("municipalities_service", "require_catalogue")
    municipalities = _via("municipalities_service", "municipalities")
    municipality = _via("municipalities_service", "municipality")
    similar_municipalities = _via("municipalities_service", "similar_municipalities")
    recommend = _via("municipalities_service", "recommend")
    recommend_request = _via("municipalities_service", "recommend_request")
    who_does = _via("municipalities_service", "who_does")
    municipality_names = _via("municipalities_service", "municipality_names")
