"""The JSON API, one ``APIRouter`` module per resource.

``status`` (/healthz, /readyz), ``search`` (/api/search), ``passages``
(/api/passages/{id}), ``documents`` (/api/documents…), ``municipalities``
(/api/municipalities…, /api/recommend) and ``admin`` (upload and delete). Each module
has ``router(settings) -> APIRouter``; ``service.api.create_app`` includes them all.
To add an API field: add it to the domain object's ``to_dict`` (or the application's
row) and to its response model in ``service/schemas.py``; ``tests/service/test_schemas_match.py``
fails until both agree.
"""
