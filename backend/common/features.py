"""GeoJSON FeatureCollections for paginated lists (DESIGN.md §10: geometry lists as GeoJSON)."""
from __future__ import annotations

import marshmallow as ma
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import Select, func, select

from backend.extensions import db


def feature_collection_page(query: Select, pagination: PaginationParameters) -> dict:
    """One page of `query` as {"type": "FeatureCollection", "features": [...]}; sets the
    total for flask-smorest's X-Pagination header."""
    pagination.item_count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if pagination.first_item >= pagination.item_count:
        features = []
    else:
        features = db.session.scalars(query.limit(pagination.page_size).offset(pagination.first_item)).all()
    return {"type": "FeatureCollection", "features": features}


def feature_collection_schema(feature_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A FeatureCollection schema whose features are dumped with `feature_schema`."""
    return ma.Schema.from_dict({
        "type": ma.fields.Constant("FeatureCollection"),
        "features": ma.fields.List(ma.fields.Nested(feature_schema)),
    }, name=name)
