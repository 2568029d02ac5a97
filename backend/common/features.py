"""GeoJSON FeatureCollections for paginated lists (DESIGN.md §10: geometry lists as GeoJSON)."""
from __future__ import annotations

import functools

import marshmallow as ma
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import Select, func, select

from backend.common.db import db

GEOJSON = "application/geo+json"  # RFC 7946 §12


def served_as_geojson(view):
    """Send the view's JSON answer as application/geo+json; put it above the flask-smorest
    decorators and document the response with `content_type=GEOJSON`."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        response = view(*args, **kwargs)
        if response.mimetype == "application/json":
            response.mimetype = GEOJSON
        return response
    return wrapper


def feature_collection_page(query: Select, pagination: PaginationParameters) -> dict:
    """One page of `query` as {"type": "FeatureCollection", "features": [...]}; sets the
    total for flask-smorest's X-Pagination header."""
    pagination.item_count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if pagination.first_item >= pagination.item_count:
        features = []
    else:
        features = db.session.scalars(query.limit(pagination.page_size).offset(pagination.first_item)).all()
    return {"type": "FeatureCollection", "features": features}


class FeatureProperties(ma.fields.Nested):
    """A Feature's `properties`: `schema` dumped from the object itself (a model row is
    both the feature and its properties), and documented as that schema."""

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return self._serialize(obj, attr, obj, **kwargs)


def feature_collection_schema(feature_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A FeatureCollection schema whose features are dumped with `feature_schema`."""
    return ma.Schema.from_dict({
        "type": ma.fields.Constant("FeatureCollection"),
        "features": ma.fields.List(ma.fields.Nested(feature_schema)),
    }, name=name)
