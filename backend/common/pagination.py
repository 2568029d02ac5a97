"""Pagination of SQLAlchemy selects for flask-smorest's @blp.paginate (X-Pagination header)."""
from __future__ import annotations

from flask_smorest import Page
from sqlalchemy import Select, func, select

from backend.common.db import db

PAGE_DEFAULTS = {"page": 1, "page_size": 20, "max_page_size": 100}


class SelectPage(Page):
    """Pages a `select()` with LIMIT/OFFSET and one COUNT query."""

    collection: Select

    @property
    def items(self):
        params = self.page_params
        if params.first_item >= params.item_count:  # past the end: nothing to fetch
            return []
        query = self.collection.limit(params.page_size).offset(params.first_item)
        if len(query.column_descriptions) > 1:  # a select of columns, not of one entity: rows
            return db.session.execute(query).all()
        return db.session.scalars(query).all()

    @property
    def item_count(self):
        count_query = select(func.count()).select_from(self.collection.order_by(None).subquery())
        return db.session.scalar(count_query)
